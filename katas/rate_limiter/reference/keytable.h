/* keytable.h - the sharded key table the reference limiters share: a fast
 * hash of binary keys, per-shard spinlocks, open addressing, reclaim. */
#ifndef RL_KEYTABLE_H
#define RL_KEYTABLE_H

/* Everything here is static inline: each reference file includes it and is
 * built alone into its own plug-in, and unused helpers cost no warning.
 *
 * The shape, and why:
 * - KT_SHARDS shards, each behind its own lock, chosen by the top bits of
 *   the hash, so threads working on different keys rarely meet.
 * - Each shard is a linear-probing table of 64-byte slots, one cache line
 *   each, holding everything about a key: its hash, its bytes (inline up to
 *   KT_INLINE_KEY bytes, else a pointer to a copy), the algorithm's state
 *   and its expiry. A lookup of a known key touches one line of the table,
 *   and adding a key with a short name allocates nothing.
 * - The expiry is the time from which the key's state equals a fresh
 *   key's; the algorithm sets it on every call. Reclaim compares it with the
 *   time and never has to understand the state.
 * - Reclaim is amortised: every KT_SWEEP_EVERY calls into a shard, the
 *   caller sweeps a few slots of one shard, round robin over all of them,
 *   so shards that get no traffic are swept too. A sweep that finds idle
 *   keys goes on further, so that a million of them go in well under a
 *   million calls, while the sweep of a busy table stays short. Tables shrink
 * when a sweep leaves them an eighth full. No background thread.
 * - A sweep judges expiry against the latest time its shard has seen or the
 *   sweeping call brings, which assumes one clock for all keys. A key whose
 *   state still matters at that time is never dropped; a call stamped
 *   before the time that dropped its key finds a new key. */

#include <errno.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KT_SHARDS 128           /* a power of two */
#define KT_SHARD_BITS 7         /* log2(KT_SHARDS) */
#define KT_MIN_CAP 8            /* slots in an empty shard; a power of two */
#define KT_MAX_CAP (1ULL << 32) /* slots a shard may have: 32-bit hashes */
#define KT_SWEEP_EVERY 32       /* calls into a shard between two sweeps */
#define KT_SWEEP_SLOTS 32       /* slots a sweep looks at: 1 per call ... */
#define KT_SWEEP_MAX 1024       /* ... or more, up to this many steps */
#define KT_SPINS 64             /* busy-wait rounds before yielding the CPU */
#define KT_STATE_WORDS 4        /* the most state an algorithm keeps per key */
#define KT_INLINE_KEY 18        /* longer keys live in their own allocation */

typedef struct kt_slot {
  uint64_t expiry; /* from this time on the key's state is a fresh key's */
  uint64_t state[KT_STATE_WORDS]; /* the algorithm's, zero for a new key */
  uint32_t hash;                  /* the low half of the key's hash */
  uint16_t len1;                  /* key length + 1; 0 marks an empty slot */
  /* The key, or for a longer key a pointer to its copy (unaligned: always
   * read and written with memcpy). */
  unsigned char key[KT_INLINE_KEY];
} kt_slot_t;

_Static_assert(sizeof(kt_slot_t) == 64, "a slot is one cache line");

/* One shard fills exactly one cache line, so two threads working in two
 * shards never write to the same line. */
typedef struct kt_shard {
  alignas(64) atomic_int lock;
  uint32_t calls;      /* calls into this shard, to pace its sweeps */
  uint64_t sweep_next; /* the shard this one sweeps next */
  uint64_t mask;       /* capacity - 1 */
  uint64_t count;      /* occupied slots */
  uint64_t cursor;     /* where the next sweep of this shard starts */
  uint64_t clock;      /* the latest time seen by or swept into the shard */
  kt_slot_t *slots;
} kt_shard_t;

typedef struct kt_table {
  kt_shard_t shards[KT_SHARDS];
  /* Frees what a state owns (the sliding log's ring) when its key is
   * reclaimed or the table destroyed; NULL when a state owns nothing. */
  void (*drop)(uint64_t *state);
} kt_table_t;

static inline uint64_t kt_mix(uint64_t a, uint64_t b) {
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t kt_read64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t kt_read32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* A wyhash-style hash: a 64x64->128 multiply folds 16 bytes at a time, and
 * keys of 16 bytes or fewer (the common case) cost two or three multiplies
 * with overlapping loads and no loop. Every byte counts, NULs included. */
static inline uint64_t kt_hash(const void *key, size_t len) {
  static const uint64_t p0 = 0xa0761d6478bd642fULL;
  static const uint64_t p1 = 0xe7037ed1a0b428dbULL;
  static const uint64_t p2 = 0x8ebc6af09c88c6e3ULL;
  const unsigned char *p = key;
  uint64_t seed = 0x589965cc75374cc3ULL;
  uint64_t a = 0, b = 0;
  if (len <= 16) {
    if (len >= 4) {
      size_t mid = (len >> 3) << 2;
      a = kt_read32(p) << 32 | kt_read32(p + mid);
      b = kt_read32(p + len - 4) << 32 | kt_read32(p + len - 4 - mid);
    } else if (len > 0) {
      a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
    }
  } else {
    size_t left = len;
    while (left > 16) {
      seed = kt_mix(kt_read64(p) ^ p1, kt_read64(p + 8) ^ seed);
      p += 16;
      left -= 16;
    }
    /* The last 16 bytes of the key, overlapping what the loop read. */
    a = kt_read64(p + left - 16);
    b = kt_read64(p + left - 8);
  }
  return kt_mix(p1 ^ len, kt_mix(a ^ p1, b ^ seed ^ p0) ^ p2);
}

/* a + b, or UINT64_MAX when that does not fit: an expiry past the end of
 * time is never reached, which is the right answer. */
static inline uint64_t kt_add_sat(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline void kt_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* A test-and-test-and-set lock: cheaper than a mutex when held for a few
 * nanoseconds. It yields after a while so that a holder preempted on a busy
 * machine (more threads than cores) gets the CPU back. */
static inline void kt_lock(kt_shard_t *s) {
  for (;;) {
    if (!atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
      return;
    int spins = 0;
    while (atomic_load_explicit(&s->lock, memory_order_relaxed)) {
      if (++spins < KT_SPINS) {
        kt_pause();
      } else {
        sched_yield();
        spins = 0;
      }
    }
  }
}

static inline bool kt_trylock(kt_shard_t *s) {
  return !atomic_load_explicit(&s->lock, memory_order_relaxed) &&
         !atomic_exchange_explicit(&s->lock, 1, memory_order_acquire);
}

static inline void kt_unlock(kt_shard_t *s) {
  atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/* The bytes of the key in slot. */
static inline const unsigned char *kt_key(const kt_slot_t *slot) {
  if (slot->len1 - 1 <= KT_INLINE_KEY)
    return slot->key;
  const unsigned char *copy;
  memcpy(&copy, slot->key, sizeof copy);
  return copy;
}

/* Frees what the slot's key owns: its state's extras and a long key. */
static inline void kt_slot_clear(const kt_table_t *t, kt_slot_t *slot) {
  if (t->drop != NULL)
    t->drop(slot->state);
  if (slot->len1 - 1 > KT_INLINE_KEY)
    free((void *)kt_key(slot));
}

/* A zeroed array of capacity slots, each on its own cache line. */
static inline kt_slot_t *kt_slots_new(uint64_t capacity) {
  kt_slot_t *slots = aligned_alloc(64, capacity * sizeof *slots);
  if (slots != NULL)
    memset(slots, 0, capacity * sizeof *slots);
  return slots;
}

/* Moves the shard's keys into a table of capacity slots (a power of two).
 * Returns 0 or -ENOMEM, leaving the shard as it was. */
static inline int kt_resize(kt_shard_t *s, uint64_t capacity) {
  kt_slot_t *slots = kt_slots_new(capacity);
  if (slots == NULL)
    return -ENOMEM;
  uint64_t mask = capacity - 1;
  for (uint64_t i = 0; i <= s->mask; i++) {
    if (s->slots[i].len1 == 0)
      continue;
    uint64_t j = s->slots[i].hash & mask;
    while (slots[j].len1 != 0)
      j = (j + 1) & mask;
    slots[j] = s->slots[i];
  }
  free(s->slots);
  s->slots = slots;
  s->mask = mask;
  s->cursor = 0;
  return 0;
}

/* Empties slot i by shifting later members of its probe run back, so that
 * lookups need no tombstones and freed slots are reusable at once. */
static inline void kt_remove_at(kt_shard_t *s, uint64_t i) {
  uint64_t mask = s->mask;
  for (uint64_t j = (i + 1) & mask; s->slots[j].len1 != 0; j = (j + 1) & mask) {
    uint64_t home = s->slots[j].hash & mask;
    /* The key at j may fill the hole at i when i lies on its probe path,
     * from home up to j. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      s->slots[i] = s->slots[j];
      i = j;
    }
  }
  s->slots[i].len1 = 0;
  s->count--;
}

/* Reclaims the keys of shard s whose state is a fresh key's at time now, in
 * the next few slots, then shrinks the shard if it is mostly empty. Skips
 * the shard when another thread holds it: the next sweep comes soon. */
static inline void kt_sweep(kt_table_t *t, kt_shard_t *s, uint64_t now) {
  if (!kt_trylock(s))
    return;
  if (now > s->clock)
    s->clock = now;
  /* Each key freed buys four more slots to look at: a shard full of idle
   * keys empties fast, while a busy one costs about a slot per call. */
  uint64_t budget = KT_SWEEP_SLOTS, looked = 0;
  for (int step = 0; step < KT_SWEEP_MAX && looked < budget && s->count > 0;
       step++) {
    uint64_t i = s->cursor;
    kt_slot_t *slot = &s->slots[i];
    if (slot->len1 != 0 && slot->expiry <= s->clock) {
      kt_slot_clear(t, slot);
      kt_remove_at(s, i); /* slot i may now hold another key: look again */
      budget += 4;
    } else {
      s->cursor = (i + 1) & s->mask;
      looked++;
    }
  }
  /* Shrink to half full at an eighth full, leaving room to grow back before
   * the next resize. A failed shrink keeps the larger table. */
  uint64_t capacity = s->mask + 1;
  if (capacity > KT_MIN_CAP && s->count * 8 <= capacity) {
    uint64_t fit = KT_MIN_CAP;
    while (fit < s->count * 2)
      fit *= 2;
    kt_resize(s, fit);
  }
  kt_unlock(s);
}

/* Frees every key and slot array. The table itself is the caller's. */
static inline void kt_fini(kt_table_t *t) {
  for (uint64_t i = 0; i < KT_SHARDS; i++) {
    kt_shard_t *s = &t->shards[i];
    if (s->slots == NULL)
      continue;
    for (uint64_t j = 0; j <= s->mask; j++)
      if (s->slots[j].len1 != 0)
        kt_slot_clear(t, &s->slots[j]);
    free(s->slots);
  }
}

/* Sets up an empty table; drop may be NULL. Returns 0, or -ENOMEM after
 * freeing what it made. */
static inline int kt_init(kt_table_t *t, void (*drop)(uint64_t *state)) {
  memset(t, 0, sizeof *t);
  t->drop = drop;
  for (uint64_t i = 0; i < KT_SHARDS; i++) {
    kt_shard_t *s = &t->shards[i];
    atomic_init(&s->lock, 0);
    s->sweep_next = i; /* spread the sweepers over the shards */
    s->mask = KT_MIN_CAP - 1;
    s->slots = kt_slots_new(KT_MIN_CAP);
    if (s->slots == NULL) {
      kt_fini(t);
      return -ENOMEM;
    }
  }
  return 0;
}

/* Locks the shard of key and finds its slot, adding one with a zeroed state
 * when the key is new. The caller updates the state and the slot's expiry,
 * then calls kt_release (or kt_abandon). Returns 1 for a new key, 0 for a
 * known one, or -ENOMEM with nothing locked. */
static inline int kt_acquire(kt_table_t *t, const void *key, size_t key_len,
                             kt_shard_t **shard, kt_slot_t **slot) {
  uint64_t full_hash = kt_hash(key, key_len);
  uint32_t hash = (uint32_t)full_hash;
  uint16_t len1 = (uint16_t)(key_len + 1);
  kt_shard_t *s = &t->shards[full_hash >> (64 - KT_SHARD_BITS)];
  kt_lock(s);
  *shard = s;
  uint64_t i = hash & s->mask;
  for (;; i = (i + 1) & s->mask) {
    kt_slot_t *candidate = &s->slots[i];
    if (candidate->len1 == 0)
      break;
    if (candidate->hash == hash && candidate->len1 == len1 &&
        (key_len == 0 || memcmp(kt_key(candidate), key, key_len) == 0)) {
      *slot = candidate;
      return 0;
    }
  }
  /* Keep the table at most 70% full: linear probing degrades past that. */
  if ((s->count + 1) * 10 > (s->mask + 1) * 7) {
    if (s->mask + 1 >= KT_MAX_CAP || kt_resize(s, (s->mask + 1) * 2) != 0) {
      kt_unlock(s);
      return -ENOMEM;
    }
    for (i = hash & s->mask; s->slots[i].len1 != 0; i = (i + 1) & s->mask)
      ;
  }
  kt_slot_t *fresh = &s->slots[i];
  memset(fresh, 0, sizeof *fresh);
  if (key_len <= KT_INLINE_KEY) {
    if (key_len > 0)
      memcpy(fresh->key, key, key_len);
  } else {
    unsigned char *copy = malloc(key_len);
    if (copy == NULL) {
      kt_unlock(s);
      return -ENOMEM;
    }
    memcpy(copy, key, key_len);
    memcpy(fresh->key, &copy, sizeof copy);
  }
  fresh->hash = hash;
  fresh->len1 = len1;
  s->count++;
  *slot = fresh;
  return 1;
}

/* Ends a call that kt_acquire began: unlocks the shard, and now and then
 * sweeps the next shard in its round. now is the call's time. The slot may
 * move or vanish once this returns. */
static inline void kt_release(kt_table_t *t, kt_shard_t *s, uint64_t now) {
  if (now > s->clock)
    s->clock = now;
  kt_shard_t *victim = NULL;
  if (++s->calls % KT_SWEEP_EVERY == 0) {
    victim = &t->shards[s->sweep_next];
    s->sweep_next = (s->sweep_next + 1) % KT_SHARDS;
  }
  kt_unlock(s);
  if (victim != NULL)
    kt_sweep(t, victim, now);
}

/* Removes the key kt_acquire just added, for a call that failed before its
 * state was valid, and unlocks the shard. */
static inline void kt_abandon(kt_table_t *t, kt_shard_t *s, kt_slot_t *slot) {
  kt_slot_clear(t, slot);
  kt_remove_at(s, (uint64_t)(slot - s->slots));
  kt_unlock(s);
}

#endif /* RL_KEYTABLE_H */
