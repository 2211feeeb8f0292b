/*
 * plan_print.c - gr_plan_print: a plan as text (`grprof explain` shows it;
 * tests/golden/plan holds golden copies).
 *
 * The listing has a summary line (instructions, slots, registers, the
 * vector values they hold), the register assignment (which slots share
 * each register), then one line per instruction, indented inside loops:
 * its index, op, the slot written and the slots read, each vector slot
 * followed by its register ("%14.rank@r3"), jump targets as "-> 12".
 * Fused kernels and aggregations follow their instruction, one line per
 * lane, op and output.  Example:
 *
 *   plan pagerank: 31 instructions, 32 slots, 5 registers for 10 vector values
 *   registers:
 *     r0: %4 %6.inv
 *   ...
 *     12: loop_init  L0 max=%2 tol=%1
 *     13: loop_head  L0 -> 27
 *     14:   ew         %16@r3 = where %9.sink@r2 %14.rank@r1 %15
 */
#include "config.h"
#include "engine/exec/plan_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/types.h"

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int nomem;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) GR_PRINTF(2, 3);

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int w;
    if (b->nomem) {
        return;
    }
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->nomem = 1;
            return;
        }
        if (b->s && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        {
            size_t nc = b->cap ? b->cap * 2 : 1024;
            char *p;
            while (nc < b->n + (size_t)w + 1) {
                nc *= 2;
            }
            if (!(p = gr_realloc(b->s, nc))) {
                b->nomem = 1;
                return;
            }
            b->s = p;
            b->cap = nc;
        }
    }
}

/* A slot as "%14.rank@r3" (vectors) or "%15" (scalars). */
static void sb_slot(sbuf *b, const gr_plan *pl, int32_t s)
{
    if (s < 0 || s >= pl->nslots) {
        sb_printf(b, "?%d", (int)s);
        return;
    }
    if (gr_type_is_vector(pl->slots[s].type)) {
        sb_printf(b, "%s@r%d", pl->slots[s].name, (int)pl->slots[s].reg);
    } else {
        sb_printf(b, "%s", pl->slots[s].name);
    }
}

static const char *ek_name(int ek)
{
    return ek == GR_EK_F64 ? "f64" : ek == GR_EK_I64 ? "i64" : "u8";
}

static const char *fold_name(int f)
{
    static const char *const names[] = {"map", "sum", "min", "max", "count", "any", "all"};
    return f >= 0 && f <= GR_FOLD_ALL ? names[f] : "?";
}

/* The lines of kernel K, indented by ind. */
static void print_kernel(sbuf *b, const gr_plan *pl, const gr_pker *K, int ind,
                         const char *what)
{
    int32_t k;
    int j;
    sb_printf(b, "%*s%s: %d lanes, %d ops, %d outputs%s\n", ind, "", what, (int)K->nlanes,
              (int)K->nops, (int)K->nout,
              K->sparse == GR_SPARSE_PUSH   ? ", sparse (the listed receivers)"
              : K->sparse == GR_SPARSE_MASK ? ", sparse (the mask's listed nodes)"
                                            : "");
    for (k = 0; k < K->nlanes; k++) {
        const gr_plane *ln = &K->lanes[k];
        sb_printf(b, "%*s  l%d %s ", ind, "", (int)k, ek_name(ln->ek));
        switch (ln->kind) {
        case GR_LK_IN:
            sb_printf(b, "= ");
            sb_slot(b, pl, ln->slot);
            sb_printf(b, !gr_type_is_vector(pl->slots[ln->slot].type) ? " (broadcast)"
                         : strncmp(what, "edge", 4) == 0 ? " (at the neighbour)" : " (in place)");
            break;
        case GR_LK_AGG:
            sb_printf(b, "= the aggregation");
            break;
        case GR_LK_W:
            sb_printf(b, "= the edge weight");
            break;
        case GR_LK_ID:
            sb_printf(b, "= node_id (per block)");
            break;
        case GR_LK_INDEX:
            sb_printf(b, "= node_index (per block)");
            break;
        default:
            sb_printf(b, "(computed)");
            break;
        }
        if (ln->vid >= 0) {
            sb_printf(b, "  # %%%d", (int)ln->vid);
        }
        sb_printf(b, "\n");
    }
    for (k = 0; k < K->nops; k++) {
        const gr_plop *op = &K->ops[k];
        sb_printf(b, "%*s  l%d = %s", ind, "", (int)op->out, gr_op_name((gr_opcode)op->irop));
        for (j = 0; j < op->nargs; j++) {
            sb_printf(b, " l%d", (int)op->a[j]);
        }
        sb_printf(b, "  [%s -> %s]\n", ek_name(op->cek), ek_name(op->oek));
    }
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        sb_printf(b, "%*s  %s l%d -> ", ind, "", fold_name(o->fold), (int)o->lane);
        if (o->slot >= 0) {
            sb_slot(b, pl, o->slot);
        } else {
            sb_printf(b, strcmp(what, "mask") == 0 ? "the mask" : "the message");
        }
        if (K->sparse && (o->fold != GR_FOLD_MAP || o->skip == GR_SKIP_FILL)) {
            if (K->lanes[o->lane].ek == GR_EK_F64) {
                sb_printf(b, " (elsewhere %.17g)", o->rest.f);
            } else {
                sb_printf(b, " (elsewhere %" PRId64 ")", o->rest.i);
            }
        } else if (K->sparse && o->skip != GR_SKIP_KEEP) {
            sb_printf(b, " (elsewhere l%d%s)", (int)o->skipsrc,
                      o->skip == GR_SKIP_CANON ? ", NaN canonical" : "");
        }
        sb_printf(b, "\n");
    }
}

static void print_inst(sbuf *b, const gr_plan *pl, int32_t pc, int depth)
{
    const gr_pinst *pi = &pl->inst[pc];
    const int ind = 2 * depth;
    int32_t k;
    int j;
    sb_printf(b, "  %4d: %*s%-10s", (int)pc, ind, "", gr_pop_name(pi->op));
    switch (pi->op) {
    case GR_P_CONST: {
        gr_type t = pl->slots[pi->dst].type;
        sb_printf(b, " ");
        sb_slot(b, pl, pi->dst);
        if (t == GR_T_F64) {
            sb_printf(b, " = %.17g\n", pi->imm.f);
        } else if (t == GR_T_BOOL) {
            sb_printf(b, " = %s\n", pi->imm.i ? "true" : "false");
        } else {
            sb_printf(b, " = %" PRId64 "\n", pi->imm.i);
        }
        return;
    }
    case GR_P_PARAM:
        sb_printf(b, " ");
        sb_slot(b, pl, pi->dst);
        sb_printf(b, " = parameter %d\n", (int)pi->aux);
        return;
    case GR_P_LOOP_INIT: {
        const gr_ploop *lp = &pl->loops[pi->aux];
        sb_printf(b, " L%d %s max=", (int)pi->aux, gr_loop_name((gr_loop_kind)lp->kind));
        sb_slot(b, pl, lp->max);
        if (lp->tol >= 0) {
            sb_printf(b, " tol=");
            sb_slot(b, pl, lp->tol);
        }
        sb_printf(b, "\n");
        return;
    }
    case GR_P_LOOP_HEAD:
        sb_printf(b, " L%d -> %d\n", (int)pi->aux, (int)pi->jump);
        return;
    case GR_P_LOOP_NEXT: {
        const gr_ploop *lp = &pl->loops[pi->aux];
        sb_printf(b, " L%d", (int)pi->aux);
        if (lp->expl >= 0) {
            sb_printf(b, " test=");
            sb_slot(b, pl, lp->expl);
        } else if (lp->test >= 0) {
            sb_printf(b, " test=");
            sb_slot(b, pl, lp->test_next);
            sb_printf(b, " vs ");
            sb_slot(b, pl, lp->inner[lp->test]);
        }
        for (k = 0; k < lp->ncarry; k++) {
            const char *how = lp->shadow[k] >= 0 ? "copy"
                            : lp->carry[k] == GR_CARRY_SWAP ? "swap" : "same";
            sb_printf(b, "%s ", k ? "," : " carry");
            sb_slot(b, pl, lp->inner[k]);
            sb_printf(b, " <- ");
            sb_slot(b, pl, lp->next[k]);
            sb_printf(b, " (%s)", how);
        }
        sb_printf(b, " -> %d\n", (int)pi->jump);
        return;
    }
    case GR_P_RETURN:
        for (k = 0; k < pl->nret; k++) {
            sb_printf(b, "%s%s = ", k ? ", " : " ", pl->ret_names[k]);
            sb_slot(b, pl, pl->ret[k]);
        }
        sb_printf(b, "\n");
        return;
    default:
        break;
    }
    if (pi->dst >= 0) {
        sb_printf(b, " ");
        sb_slot(b, pl, pi->dst);
        sb_printf(b, " =");
    }
    if (pi->op == GR_P_EW || pi->op == GR_P_SOURCE || pi->op == GR_P_REDUCE ||
        pi->op == GR_P_GATHER || pi->op == GR_P_SCATTER || pi->op == GR_P_LINK) {
        sb_printf(b, " %s", gr_op_name((gr_opcode)pi->irop));
    }
    if (pi->op == GR_P_AGG || pi->op == GR_P_AGG_FUSED) {
        const gr_pagg *A = &pl->aggs[pi->aux];
        sb_printf(b, " agg[%s, %s, %s%s]", gr_dir_name((gr_dir)A->dir),
                  gr_monoid_name((gr_monoid)A->mon), gr_msg_name((gr_msg)A->msg),
                  A->self ? ", self" : "");
    }
    for (j = 0; j < pi->nargs; j++) {
        const int link = pi->op == GR_P_LINK;
        if (link && (pi->aux & (GR_LINK_AGG << j))) {
            const gr_pagg *A = &pl->aggs[pi->a[j]];
            sb_printf(b, " agg[%s, %s, %s%s](", gr_dir_name((gr_dir)A->dir),
                      gr_monoid_name((gr_monoid)A->mon), gr_msg_name((gr_msg)A->msg),
                      A->self ? ", self" : "");
            sb_slot(b, pl, A->x);
            if (A->mask >= 0) {
                sb_printf(b, " masked by ");
                sb_slot(b, pl, A->mask);
            }
            sb_printf(b, ")");
        } else if (pi->a[j] >= 0) {
            const int nbr = link && (pi->aux & (GR_LINK_NBR << j));
            sb_printf(b, nbr ? " out_nbr(" : " ");
            sb_slot(b, pl, pi->a[j]);
            sb_printf(b, nbr ? ")" : "");
        }
    }
    if (pi->op == GR_P_EW) {
        sb_printf(b, "  [%s]", ek_name(pi->cek));
    }
    if (pi->op == GR_P_AGG || pi->op == GR_P_AGG_FUSED) {
        const gr_pagg *A = &pl->aggs[pi->aux];
        if (A->mask >= 0) {
            sb_printf(b, " (masked)");
        } else if (A->maskker >= 0) {
            sb_printf(b, " (masked by its mask kernel)");
        }
        if (A->conv >= 0) {
            sb_printf(b, " conv=");
            sb_slot(b, pl, A->conv);
        }
        if (A->tmp >= 0) {
            sb_printf(b, " push=");
            sb_slot(b, pl, A->tmp);
        }
        sb_printf(b, "\n");
        if (A->maskker >= 0) {
            print_kernel(b, pl, &pl->kers[A->maskker], 8 + ind, "mask");
        }
        if (A->msgker >= 0) {
            print_kernel(b, pl, &pl->kers[A->msgker], 8 + ind, "message");
        }
        if (A->edgeker >= 0) {
            print_kernel(b, pl, &pl->kers[A->edgeker], 8 + ind, "edge message");
        }
        if (A->epi >= 0) {
            print_kernel(b, pl, &pl->kers[A->epi], 8 + ind, "epilogue");
        }
        return;
    }
    sb_printf(b, "\n");
    if (pi->op == GR_P_FUSED) {
        print_kernel(b, pl, &pl->kers[pi->aux], 8 + ind, "kernel");
    }
}

/* See gr.h.  *text is allocated (gr_free_string). */
int gr_plan_print(const gr_plan *plan, char **text, gr_error *err)
{
    sbuf b = {NULL, 0, 0, 0};
    int32_t pc, k, s, depth = 0;

    if (!text) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_print: text is NULL");
    }
    *text = NULL;
    if (!plan) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_print: plan is NULL");
    }
    sb_printf(&b, "plan %s: %d instructions, %d slots, %d register%s for %d vector value%s, "
              "%d loop%s, %d kernel%s\n", plan->name, (int)plan->ninst, (int)plan->nslots,
              (int)plan->nregs, plan->nregs == 1 ? "" : "s", (int)plan->nvecvals,
              plan->nvecvals == 1 ? "" : "s", (int)plan->nloops, plan->nloops == 1 ? "" : "s",
              (int)plan->nkers, plan->nkers == 1 ? "" : "s");
    sb_printf(&b, "registers:\n");
    for (k = 0; k < plan->nregs; k++) {
        sb_printf(&b, "  r%d:", (int)k);
        for (s = 0; s < plan->nslots; s++) {
            if (gr_type_is_vector(plan->slots[s].type) && plan->slots[s].reg == k) {
                sb_printf(&b, " %s", plan->slots[s].name);
            }
        }
        sb_printf(&b, "\n");
    }
    sb_printf(&b, "instructions:\n");
    for (pc = 0; pc < plan->ninst; pc++) {
        const gr_pinst *pi = &plan->inst[pc];
        if (pi->op == GR_P_LOOP_NEXT && depth > 0) {
            depth--;
        }
        print_inst(&b, plan, pc, depth);
        if (pi->op == GR_P_LOOP_HEAD) {
            depth++;
        }
    }
    if (b.nomem) {
        gr_free(b.s);
        return gr_err_nomem(err, "printing a plan");
    }
    *text = b.s;
    return GR_OK;
}
