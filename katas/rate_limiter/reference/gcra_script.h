/* gcra_script.h - the Lua script of stage 7's reference: GCRA for one key,
 * read, decided and written in one atomic step inside Redis. Shared with
 * the benchmark that gives redis-benchmark the same script. */
#ifndef GCRA_SCRIPT_H
#define GCRA_SCRIPT_H

/* GCRA keeps, per key, the "theoretical arrival time" (TAT) of the next
 * request, in time scaled by L so that one request costs exactly W units and
 * nothing is rounded. The script stores it relative to the key's latest time
 * (debt = TAT - latest, in [0, L*W]) so that every number it computes stays
 * below L*W + W <= 2^53 + W, where Redis's Lua doubles are exact.
 * Times are another matter: wall-clock ns (about 1.8e18) are far beyond
 * 2^53, where a double is 256 ns coarse. So they travel and are stored as
 * decimal text, split into seconds and ns (each exact), and only their
 * difference is computed, exactly up to 2^53 ns (104 days); a longer gap
 * fills any bucket, since W <= 2^53. debt = L*W - B of stage 3's bucket.
 * KEYS[1] the key; ARGV now (decimal ns), L, W. Returns {allowed,
 * remaining, retry}. */
static const char gcra_script[] =
    "local function split(text)\n"
    "  local n = string.len(text)\n"
    "  if n <= 9 then return 0, tonumber(text) end\n"
    "  return tonumber(string.sub(text, 1, n - 9)),"
    " tonumber(string.sub(text, n - 8))\n"
    "end\n"
    "local limit = tonumber(ARGV[2])\n"
    "local window = tonumber(ARGV[3])\n"
    "local full = limit * window\n"
    "local state = redis.call('HMGET', KEYS[1], 'latest', 'debt')\n"
    "local now = ARGV[1]\n"
    "local latest = state[1] or now\n"
    "local debt = tonumber(state[2]) or 0\n"
    "local now_s, now_ns = split(now)\n"
    "local latest_s, latest_ns = split(latest)\n"
    "if now_s < latest_s or (now_s == latest_s and now_ns < latest_ns) then\n"
    "  now, now_s, now_ns = latest, latest_s, latest_ns\n"
    "end\n"
    "local gap = window\n"
    "if now_s - latest_s <= 9007201 then\n"
    "  gap = (now_s - latest_s) * 1000000000 + (now_ns - latest_ns)\n"
    "end\n"
    "if gap >= window then\n"
    "  debt = 0\n"
    "else\n"
    "  debt = math.max(0, debt - gap * limit)\n"
    "end\n"
    "local allowed = 0\n"
    "if debt + window <= full then\n"
    "  allowed = 1\n"
    "  debt = debt + window\n"
    "end\n"
    "local level = full - debt\n"
    "local remaining = math.floor(level / window)\n"
    "if remaining * window > level then remaining = remaining - 1 end\n"
    "if (remaining + 1) * window <= level then remaining = remaining + 1 end\n"
    "local retry = 0\n"
    "if remaining == 0 then\n"
    "  local short = window - level\n"
    "  retry = math.ceil(short / limit)\n"
    "  if retry * limit < short then retry = retry + 1 end\n"
    "  if (retry - 1) * limit >= short then retry = retry - 1 end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'latest', now, 'debt', debt)\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000000) + 1000)\n"
    "return {allowed, remaining, retry}\n";

#endif /* GCRA_SCRIPT_H */
