// name: co-citation
// question: Which pairs of works are cited together, in the same sentence (or, with scope=study, by the same study)?
// param scope: string = "sentence" | sentence or study
// param study: string = "" | a study id; empty for all studies
// param top: int = 20 | how many pairs
// columns: work_a, work_b, together
MATCH (s:Study)-[c1:CITES]->(a:Work), (s)-[c2:CITES]->(b:Work)
WHERE a.id < b.id AND ($study = '' OR s.id = $study)
  AND ($scope = 'study' OR c1.sentence = c2.sentence)
WITH a, b, CASE WHEN $scope = 'study' THEN count(DISTINCT s) ELSE count(DISTINCT s.id + '|' + c1.sentence) END AS together
RETURN a.name AS work_a, b.name AS work_b, together AS together
ORDER BY together DESC, work_a, work_b
LIMIT $top
