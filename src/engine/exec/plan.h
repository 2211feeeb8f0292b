/*
 * plan.h - the flat plan a program lowers to, and the batched interpreter
 * that runs it in one call (modes `batched`: plan of the -O0 IR, `fused`:
 * plan of the -O2 IR).
 *
 * Design (lower.c builds it, vm.c runs it, fused_eval.c evaluates fused
 * kernels, plan_print.c prints it):
 *
 *  Slots.  Every IR value the plan touches gets a slot.  Scalar slots hold
 *  one f64/i64/u8 in a per-run scalar array.  Vector slots name a
 *  *register*: a physical buffer of n elements (8 bytes per element, masks
 *  use the same buffers as bytes).  Registers are assigned by linear scan
 *  over the liveness intervals of gr_an_live (analysis/liveness.c): a
 *  register is reused once the value in it is dead; an element-wise
 *  instruction may write into the register of an operand that dies at that
 *  instruction (kernels allow out == operand); aggregation, gather,
 *  scatter and link never alias their output with an input.  All
 *  registers are allocated once, before the run (gr_alloc_big), and freed
 *  after it: nothing is allocated inside a loop.  Peak memory = graph + registers.
 *
 *  Instructions.  A flat array of gr_pinst; loops become jumps:
 *      COPY  init -> carried register           (once, at loop entry)
 *      LOOP_INIT  counter slot = 0
 *   top:
 *      LOOP_HEAD  if counter >= max: jump exit
 *      ... body ...
 *      LOOP_NEXT  counter++; evaluate the exit test (converged: dist_l1 of
 *                 next vs carried < n*tol, or the body's explicit test
 *                 value; unchanged: any difference, or explicit); then
 *                 carried <- next for every carried value by swapping the
 *                 two registers' buffers (O(1); next is dead after the
 *                 yield) or copying scalars; exit -> jump exit, else jump top
 *   exit:  loop results are the carried slots
 *  The loop's iteration count is added to the run's gr_result.iters exactly
 *  as the step evaluator counts it.
 *
 *  Kernels.  EW/REDUCE/GATHER/SCATTER/LINK/AGG/SOURCE instructions call the
 *  whole-vector kernels of kernels.h (the same code step mode uses, so the
 *  modes agree bit for bit).  FUSED instructions run a micro-program over
 *  lane registers of GR_LANE (256) elements, block by block: nodes are cut
 *  into GR_K_RED_BLOCK (4096) blocks run in parallel (OpenMP), each cut
 *  into 256-element lanes; a lane input that is a vector of the right kind
 *  is read in place (no copy), scalars broadcast, map outputs are written
 *  straight into their registers, folds accumulate per 4096-block partial
 *  and the partials combine in block order (deterministic).  An AGG (or
 *  AGG_FUSED) followed by its epilogue FUSED is one instruction: per lane
 *  of nodes, aggregate into a lane register, then run the epilogue on it.
 *  AGG_FUSED whose message is x, x+w, x*w or w computes x in a node pass
 *  and then runs the aggregation kernel (measured 3x faster than a per-edge
 *  message program, and the same bits as step mode); only bodies that use
 *  the edge weight otherwise run a per-edge message kernel.  Masked
 *  aggregations skip masked-off nodes and choose pull (over in-edges of
 *  the active receivers) or push (over out-edges of the active senders,
 *  when few senders are non-empty, as GraphBLAS does) from the input's
 *  density; both give the same results.
 *
 *  Dispatch.  vm.c is one loop over the instruction array with a switch;
 *  per-instruction overhead is measured by grprof's dispatch benchmarks.
 *
 *  Debug mode (gr_plan_run(..., debug=1)): every slot read is checked to
 *  have been written earlier in the run (GR_ERR_INTERNAL naming the
 *  instruction and slot otherwise).
 */
#ifndef GR_EXEC_PLAN_H
#define GR_EXEC_PLAN_H

#include "gr.h"
#include "engine/exec/kernels.h"
#include "engine/ir/ir.h"

#define GR_LANE 256

typedef enum gr_pop {
    GR_P_CONST,      /* scalar slot dst = imm */
    GR_P_PARAM,      /* scalar slot dst = params[aux] */
    GR_P_SOURCE,     /* dst = a source op (fill, node_id, node_index, degrees,
                        out_nbr, node_count, edge_count) */
    GR_P_EW,         /* dst = element-wise op over slots (vector or scalar) */
    GR_P_REDUCE,     /* scalar dst = reduction / distance of vector slots */
    GR_P_GATHER,
    GR_P_SCATTER,
    GR_P_LINK,       /* dst = link(a0, a1) */
    GR_P_AGG,        /* dst = aggregation; optional mask; optional epilogue */
    GR_P_AGG_FUSED,  /* dst = aggregation of a per-edge message kernel */
    GR_P_FUSED,      /* fused element-wise kernel: maps and folds */
    GR_P_COPY,       /* dst = src (vectors: memcpy; scalars: value) */
    GR_P_LOOP_INIT,  /* counter slot = 0 */
    GR_P_LOOP_HEAD,  /* counter >= max: jump */
    GR_P_LOOP_NEXT,  /* count, test, carry, jump */
    GR_P_PRINT,
    GR_P_RETURN
} gr_pop;

/* The plan lower.c builds.  The internals of gr_pinst and the micro-
 * programs are private to src/engine/exec/ (lower.c, vm.c, fused_eval.c,
 * plan_print.c) and defined there in plan_internal.h. */

#endif
