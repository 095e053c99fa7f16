"""The one-to-one assignment of maximum total score on a sparse candidate graph.

Solver: scipy's `min_weight_full_bipartite_matching` (LAPJVsp) on a sparse matrix of
projects × (spaces + one dummy column per project). A project's dummy stands for
"unmatched": it is reachable only from that project, at the cost of scoring 0, so a
full matching of the project rows always exists and a project takes a real space
only when that raises the total. Costs are `2 − score` (≥ 1) and the dummy's is 2:
strictly positive, because the sparse format would read a stored 0 as "no edge".
Minimising Σ cost = 2·n − Σ score maximises the total score.
"""

from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

Edge = tuple[int, int, float]  # (project id, space id, score)

_UNMATCHED_COST = 2.0


def _best_edges(edges: Iterable[Edge]) -> dict[tuple[int, int], float]:
    best: dict[tuple[int, int], float] = {}
    for project, space, score in edges:
        # A zero score is never worth taking; it ties with "unmatched".
        if score > 0 and score > best.get((project, space), 0.0):
            best[(project, space)] = score
    return best


def assignment_optimal(edges: Iterable[Edge]) -> list[Edge]:
    """Pairs, each project and each space at most once, of maximum total score."""
    best = _best_edges(edges)
    if not best:
        return []
    projects = sorted({project for project, _ in best})
    spaces = sorted({space for _, space in best})
    row_of = {project: i for i, project in enumerate(projects)}
    col_of = {space: j for j, space in enumerate(spaces)}
    n, m = len(projects), len(spaces)
    rows = np.fromiter((row_of[p] for p, _ in best), dtype=np.int64, count=len(best))
    cols = np.fromiter((col_of[s] for _, s in best), dtype=np.int64, count=len(best))
    costs = _UNMATCHED_COST - np.fromiter(best.values(), dtype=float, count=len(best))
    graph = csr_matrix(
        (
            np.concatenate([costs, np.full(n, _UNMATCHED_COST)]),
            (
                np.concatenate([rows, np.arange(n)]),
                np.concatenate([cols, m + np.arange(n)]),
            ),
        ),
        shape=(n, m + n),
    )
    row_index, col_index = min_weight_full_bipartite_matching(graph)
    pairs = []
    for i, j in zip(row_index.tolist(), col_index.tolist(), strict=True):
        if j < m:
            project, space = projects[i], spaces[j]
            pairs.append((project, space, best[(project, space)]))
    return sorted(pairs)


def assignment_greedy(edges: Iterable[Edge]) -> list[Edge]:
    """Best pair first: the baseline the optimum is compared with."""
    taken_projects: set[int] = set()
    taken_spaces: set[int] = set()
    pairs = []
    ordered = sorted(_best_edges(edges).items(), key=lambda item: (-item[1], item[0]))
    for (project, space), score in ordered:
        if project in taken_projects or space in taken_spaces:
            continue
        taken_projects.add(project)
        taken_spaces.add(space)
        pairs.append((project, space, score))
    return sorted(pairs)


def total_score(pairs: Iterable[Edge]) -> float:
    return sum(score for _, _, score in pairs)
