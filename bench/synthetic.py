"""A synthetic literature of any size, for the benchmark and the scale tests.

Works fall into clusters; each sentence cites two works, nine times in ten from one cluster,
so the co-citation map has the clustered shape of a real one.  Seeded: same sizes, same rows.
"""

from __future__ import annotations

import random


def literature(works: int, sentences: int, clusters: int = 50, seed: int = 3) -> tuple[list[dict], list[dict]]:
    """(work rows, citation rows) as ``citations.assemble`` takes them.

    ``sentences`` sentences give slightly fewer co-cited pairs (a few repeat or cite one work
    twice): ask for about 5% more sentences than the edges you want.
    """
    rng = random.Random(seed)
    rows = [{"id": f"w{i}", "name": f"Author{i} ({1950 + i % 70})", "title": f"Title {i}"} for i in range(works)]
    size = max(works // clusters, 1)
    citations = []
    for s in range(sentences):
        if rng.random() < 0.9:
            start = rng.randrange(clusters) * size
            pair = {rng.randrange(start, min(start + size, works)) for _ in range(2)}
        else:
            pair = {rng.randrange(works) for _ in range(2)}
        for w in pair:
            citations.append({"study": "s", "sentence": f"sentence {s}", "stance": "mentions", "work": f"w{w}"})
    return rows, citations
