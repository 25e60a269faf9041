// name: cross-study
// question: Which themes of different studies bear on the same construct or theory, or rest on findings citing the same works (meta-synthesis)?
// param theory: string = "" | part of a theory or construct name; empty for all
// columns: shared_kind, shared, study_a, theme_a, study_b, theme_b
MATCH (ta:Theme)<-[:DERIVED_FROM]-(fa:Finding)-[ra]->(x)<-[rb]-(fb:Finding)-[:DERIVED_FROM]->(tb:Theme)
WHERE ra.kind IN ['SUPPORTS', 'EXTENDS', 'CHALLENGES'] AND rb.kind IN ['SUPPORTS', 'EXTENDS', 'CHALLENGES']
  AND fa.study < fb.study
  AND ($theory = '' OR toLower(x.name) CONTAINS toLower($theory))
RETURN DISTINCT x.kind AS shared_kind, x.name AS shared, fa.study AS study_a, ta.name AS theme_a,
       fb.study AS study_b, tb.name AS theme_b
ORDER BY shared_kind, shared, study_a, theme_a, study_b, theme_b
