"""Qualitative evidence synthesis: reviews that pool the themes and quotes of loaded studies.

A review bundle (docs/review-bundle.md) names the studies a review includes, its findings, the
study themes, findings and extracts each finding draws on, the reviewer's GRADE-CERQual
judgements and the studies' critical appraisal.  ``bundle`` reads it into a Batch; ``evidence``
computes each finding's evidence from the graph (never typed twice); ``cerqual`` proposes a
concern per component from that evidence by documented rules; ``reports`` writes the Summary of
Qualitative Findings and the Evidence Profile; ``suggest`` proposes correspondences.
"""
