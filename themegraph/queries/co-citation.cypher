// name: co-citation
// question: Which pairs of works are cited together, in the same sentence (or, with scope=study, by the same study)?
// param scope: enum[sentence|study] = "sentence" | sentence, or study (pairs among the `among` works cited by most studies)
// param study: string = "" | a study id; empty for all studies
// param among: int = 300 | with scope=study: consider the works cited by the most studies, this many
// param top: int = 20 | how many pairs
// columns: work_a, work_b, together
// (the names are looked up one MATCH at a time, with a WITH between: two MATCHes in a row made
//  Ladybug plan a join over every work and take seconds)
MATCH (s:Study)-[c:CITES]->(w:Work)
WHERE $scope = 'sentence' AND ($study = '' OR s.id = $study)
WITH s, c.sentence AS sentence, collect(DISTINCT w.id) AS works
WHERE size(works) > 1
UNWIND works AS a_id
UNWIND works AS b_id
WITH a_id, b_id
WHERE a_id < b_id
WITH a_id, b_id, count(*) AS together
ORDER BY together DESC, a_id, b_id
LIMIT $top
MATCH (a:Work) WHERE a.id = a_id
WITH a.name AS name_a, b_id, together
MATCH (b:Work) WHERE b.id = b_id
RETURN name_a AS work_a, b.name AS work_b, together AS together
ORDER BY together DESC, work_a, work_b
UNION ALL
MATCH (s:Study)-[:CITES]->(w:Work)
WHERE $scope = 'study' AND ($study = '' OR s.id = $study)
WITH w, count(DISTINCT s) AS studies
ORDER BY studies DESC, w.id
LIMIT $among
WITH collect(w.id) AS top_ids
MATCH (s:Study)-[:CITES]->(w:Work)
WHERE w.id IN top_ids AND ($study = '' OR s.id = $study)
WITH s, collect(DISTINCT w.id) AS works
UNWIND works AS a_id
UNWIND works AS b_id
WITH s, a_id, b_id
WHERE a_id < b_id
WITH a_id, b_id, count(DISTINCT s) AS together
ORDER BY together DESC, a_id, b_id
LIMIT $top
MATCH (a:Work) WHERE a.id = a_id
WITH a.name AS name_a, b_id, together
MATCH (b:Work) WHERE b.id = b_id
RETURN name_a AS work_a, b.name AS work_b, together AS together
ORDER BY together DESC, work_a, work_b
