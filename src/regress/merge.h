/*
 * merge.h - combining run files: the rounds of one run appended to
 * another (re-measuring suspects adds rounds to the live run), and two
 * runs built from alternating runs of a few rounds each (calibrate's A/A
 * and ab's A/B interleaving, A1 B1 A2 B2 ...).
 *
 * Rounds are the unit of replication (decide.h), so a merged run is just
 * a run with more rounds: B's round r becomes A's config.rounds + r,
 * config.rounds grows by B's, every touched benchmark's stats are
 * recomputed from its samples (common/stats.h), `started` becomes the
 * earlier start and `finished` the later end, machine.load_end is B's.
 * A benchmark keeps A's `inner` (operations per sample: samples are per
 * operation, so runs that calibrated differently still agree), the larger
 * peak_rss_bytes, and A's instruction count (B's when A has none).
 *
 * Compatibility (gr_run_compatible): same config.suite, repeat, warmup,
 * min_time, threads and seed; same machine.hash; every benchmark of B is
 * in A with the same version and checksum (B may hold fewer: re-measuring
 * runs only the suspects).  config.filter may differ.
 *
 * Ownership: gr_run_merge changes only `a` (and only on success: on
 * failure `a` is as before); gr_run_interleave takes ownership of the
 * runs it is given.
 */
#ifndef GR_REGRESS_MERGE_H
#define GR_REGRESS_MERGE_H

#include <stddef.h>

#include "gr.h"
#include "common/runfile.h"

/* GR_OK when b's rounds can be appended to a, else GR_ERR_INVALID with
 * the first difference ("benchmark ops/add/10k: checksum differs
 * (0123... vs 4567...)", "config.repeat differs (2 vs 3)"). */
int gr_run_compatible(const gr_run *a, const gr_run *b, gr_error *err);

/* Append b's rounds to a (see above).  GR_OK, GR_ERR_INVALID (not
 * compatible), GR_ERR_RANGE (round numbers overflow) or GR_ERR_NOMEM; on
 * failure a is unchanged. */
int gr_run_merge(gr_run *a, const gr_run *b, gr_error *err);

/* Build two runs from n >= 2 runs alternating A B A B ...: *a is runs[0]
 * with runs[2], runs[4], ... merged in order, *b is runs[1] with runs[3],
 * ... .  Takes ownership of every runs[k] (each is moved into *a / *b or
 * freed, and set to NULL), on failure too; *a and *b are then NULL.
 * Errors as gr_run_merge's, naming the run index ("run 3: ..."), and
 * GR_ERR_INVALID when n < 2. */
int gr_run_interleave(gr_run **runs, size_t n, gr_run **a, gr_run **b, gr_error *err);

#endif
