// name: bibliographic-coupling
// question: Which studies cite the same works, and how many?
// param top: int = 20 | how many pairs
// columns: study_a, study_b, shared_works
MATCH (s:Study)-[:CITES]->(w:Work)
WITH w, collect(DISTINCT s.id) AS studies
WHERE size(studies) > 1
UNWIND studies AS study_a
UNWIND studies AS study_b
WITH study_a, study_b
WHERE study_a < study_b
RETURN study_a AS study_a, study_b AS study_b, count(*) AS shared_works
ORDER BY shared_works DESC, study_a, study_b
LIMIT $top
