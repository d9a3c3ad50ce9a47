# sdkata_kata.cmake - the one function a kata's CMakeLists.txt calls; it turns
# the kata folder's conventions into plug-ins, a stage runner and a registry
# entry, so that adding a kata never touches the harness.

# Compiles one implementation file into its own plug-in (a MODULE library)
# at plugins/<kata>/<kind>/<stem>.so.
function(sdkata_add_plugin kata kind source)
  get_filename_component(stem ${source} NAME_WE)
  set(target ${kata}_${kind}_${stem})
  add_library(${target} MODULE ${source})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  target_link_libraries(${target} PRIVATE Threads::Threads ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${stem}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins/${kata}/${kind})
  set_property(GLOBAL APPEND PROPERTY SDKATA_PLUGIN_TARGETS ${target})
endfunction()

# sdkata_add_kata(NAME [LIBS lib...]): reference/*.c, baseline/*.c and
# tests/mutants/*.c become plug-ins; tests/*.c becomes the stage runner
# katas/<kata>/stages; kata.c (the descriptor) and every other .c file at the
# top of the folder but solution.c (the learner's) join the sdkata binary.
function(sdkata_add_kata kata)
  cmake_parse_arguments(K "" "" "LIBS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(kind reference baseline)
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/${kind}/*.c)
    foreach(source ${sources})
      sdkata_add_plugin(${kata} ${kind} ${source} ${K_LIBS})
    endforeach()
  endforeach()
  file(GLOB mutants CONFIGURE_DEPENDS ${dir}/tests/mutants/*.c)
  foreach(source ${mutants})
    sdkata_add_plugin(${kata} mutant ${source} ${K_LIBS})
  endforeach()

  # The learner's file is built by sdkata itself (so that a compile error is
  # shown alone, as the compiler printed it); this target exists only so that
  # compile_commands.json tells an editor how to read solution.c.
  add_library(${kata}_solution_for_editors OBJECT EXCLUDE_FROM_ALL
              ${dir}/solution.c)
  target_include_directories(${kata}_solution_for_editors PRIVATE ${dir})

  file(GLOB suites CONFIGURE_DEPENDS ${dir}/tests/*.c)
  add_executable(${kata}_stages ${suites})
  target_include_directories(${kata}_stages PRIVATE ${dir} ${dir}/tests)
  target_compile_options(${kata}_stages PRIVATE ${SDKATA_WARNINGS})
  target_link_libraries(${kata}_stages PRIVATE sdkata_stagekit
                        PkgConfig::CRITERION ${K_LIBS})
  set_target_properties(${kata}_stages PROPERTIES OUTPUT_NAME stages
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/katas/${kata})

  sdkata_add_kata_extras(${kata} "${K_LIBS}")

  file(GLOB kata_sources CONFIGURE_DEPENDS ${dir}/*.c)
  list(REMOVE_ITEM kata_sources ${dir}/solution.c)
  target_sources(sdkata_katas PRIVATE ${kata_sources})
  target_include_directories(sdkata_katas PRIVATE ${dir})
  set_property(GLOBAL APPEND PROPERTY SDKATA_KATAS ${kata})
  set_property(GLOBAL APPEND PROPERTY SDKATA_PLUGIN_TARGETS ${kata}_stages)
endfunction()

# What a kata may bring beyond its stages, each found by its place:
#   bench/*.cc         one google-benchmark binary, katas/<kata>/microbench
#   bench/*.c          a tool each, katas/<kata>/<stem> (bench scripts run
#                      them)
#   tests/served/*.c   its served end-to-end tests, katas/<kata>/served, run
#                      by make test and make kata=<kata> serve-check
# Each links the harness, the kata's libraries and sees the kata's folder
# and its reference/ (shared code of the references).
function(sdkata_add_kata_extras kata libs)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  set(out ${CMAKE_BINARY_DIR}/katas/${kata})
  file(GLOB microbenchmarks CONFIGURE_DEPENDS ${dir}/bench/*.cc)
  if(microbenchmarks AND benchmark_FOUND AND NOT SDKATA_SANITIZE)
    add_executable(${kata}_microbench ${microbenchmarks})
    target_include_directories(${kata}_microbench PRIVATE ${dir})
    target_compile_options(${kata}_microbench PRIVATE -Wall -Wextra -Wshadow)
    target_link_libraries(${kata}_microbench PRIVATE sdkata_core
                          benchmark::benchmark_main ${libs}
                          ${SDKATA_ALLOCATOR})
    set_target_properties(${kata}_microbench PROPERTIES
      OUTPUT_NAME microbench RUNTIME_OUTPUT_DIRECTORY ${out})
  endif()
  file(GLOB tools CONFIGURE_DEPENDS ${dir}/bench/*.c)
  foreach(tool ${tools})
    get_filename_component(stem ${tool} NAME_WE)
    add_executable(${kata}_tool_${stem} ${tool})
    target_include_directories(${kata}_tool_${stem} PRIVATE ${dir}
                               ${dir}/reference)
    target_compile_options(${kata}_tool_${stem} PRIVATE ${SDKATA_WARNINGS})
    target_link_libraries(${kata}_tool_${stem} PRIVATE sdkata_core ${libs}
                          ${SDKATA_ALLOCATOR})
    set_target_properties(${kata}_tool_${stem} PROPERTIES
      OUTPUT_NAME ${stem} RUNTIME_OUTPUT_DIRECTORY ${out})
  endforeach()
  file(GLOB served CONFIGURE_DEPENDS ${dir}/tests/served/*.c)
  if(served)
    add_executable(${kata}_served ${served})
    target_include_directories(${kata}_served PRIVATE ${dir})
    target_compile_options(${kata}_served PRIVATE ${SDKATA_WARNINGS})
    target_link_libraries(${kata}_served PRIVATE sdkata_servekit
                          PkgConfig::CRITERION ${libs})
    set_target_properties(${kata}_served PROPERTIES
      OUTPUT_NAME served RUNTIME_OUTPUT_DIRECTORY ${out})
    set_property(GLOBAL APPEND PROPERTY SDKATA_SERVED_KATAS ${kata})
  endif()
endfunction()

# Writes katas.c, the table of every kata's descriptor, into the sdkata
# binary. Called once after every kata folder was added.
function(sdkata_write_registry)
  get_property(katas GLOBAL PROPERTY SDKATA_KATAS)
  set(decls "")
  set(entries "")
  foreach(kata ${katas})
    string(APPEND decls "extern const kata_t kata_${kata};\n")
    string(APPEND entries "  &kata_${kata},\n")
  endforeach()
  configure_file(${CMAKE_SOURCE_DIR}/cmake/registry.c.in
                 ${CMAKE_BINARY_DIR}/registry.c @ONLY)
  target_sources(sdkata_katas PRIVATE ${CMAKE_BINARY_DIR}/registry.c)
  get_property(plugins GLOBAL PROPERTY SDKATA_PLUGIN_TARGETS)
  add_dependencies(sdkata ${plugins})
endfunction()
