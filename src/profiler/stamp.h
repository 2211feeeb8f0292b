/*
 * stamp.h - what a run file records about where its numbers come from:
 * the git commit of the working directory (git through popen), the
 * machine fingerprint (/proc, /sys, uname, the build's compiler, CFLAGS
 * and OpenMP) with a hash of its stable fields, load averages, UTC
 * timestamps, and whether perf_event_open can count instructions.
 *
 * Ownership: the gr_run_commit / gr_run_machine strings are allocated with
 * gr_malloc and belong to the struct (gr_run_free releases them).
 */
#ifndef GR_PROFILER_STAMP_H
#define GR_PROFILER_STAMP_H

#include <stddef.h>
#include <time.h>

#include "common/runfile.h"

/* Fill c from `git` in directory dir (NULL: the current directory; ab
 * names REV's worktree);
 * outside a checkout (or without git) c->available = 0 and c->reason says
 * why.  GR_ERR_NOMEM only. */
int gr_stamp_commit(gr_run_commit *c, const char *dir, gr_error *err);

/* Fill m's fingerprint, its hash and load_start (load_end is set by
 * gr_stamp_load later).  GR_ERR_NOMEM only. */
int gr_stamp_machine(gr_run_machine *m, gr_error *err);

/* The 1/5/15-minute load averages (zeros when unavailable). */
void gr_stamp_load(double load[3]);

/* t as UTC ISO 8601, "2026-11-26T03:10:00Z", into buf[n]; returns buf. */
const char *gr_stamp_utc(time_t t, char *buf, size_t n);

/* Whether perf_event_open can count retired instructions here: 1, or 0
 * with the reason ("not supported by this CPU/VM", "EACCES:
 * perf_event_paranoid=3") in reason[n]. */
int gr_stamp_perf(char *reason, size_t n);

#endif
