// name: bibliographic-coupling
// question: Which studies cite the same works, and how many?
// param top: int = 20 | how many pairs
// columns: study_a, study_b, shared_works, works
MATCH (a:Study)-[:CITES]->(w:Work)<-[:CITES]-(b:Study)
WHERE a.id < b.id
WITH a, b, collect(DISTINCT w.name) AS works
RETURN a.id AS study_a, b.id AS study_b, size(works) AS shared_works, works AS works
ORDER BY shared_works DESC, study_a, study_b
LIMIT $top
