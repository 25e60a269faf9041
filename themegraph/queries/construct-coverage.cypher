// name: construct-coverage
// question: For a theory, which constructs do the findings support, extend or challenge, and which are untouched?
// param theory: string = "Bordin" | part of the theory's name or of the name of the work that proposed it
// param study: string = "" | a study id; empty for all studies
// columns: theory, construct, supported, extended, challenged, status, findings, themes
MATCH (c:Construct)-[:PART_OF]->(t:Theory)
OPTIONAL MATCH (t)-[:PROPOSED_IN]->(w:Work)
WITH c, t, coalesce(w.name, '') AS proposer
WHERE toLower(t.name) CONTAINS toLower($theory) OR toLower(proposer) CONTAINS toLower($theory)
OPTIONAL MATCH (f:Finding)-[r]->(c)
WHERE r.kind IN ['SUPPORTS', 'EXTENDS', 'CHALLENGES'] AND ($study = '' OR f.study = $study)
OPTIONAL MATCH (f)-[:DERIVED_FROM]->(th:Theme)
WITH t, c,
     count(DISTINCT CASE WHEN r.kind = 'SUPPORTS' THEN f.id END) AS supported,
     count(DISTINCT CASE WHEN r.kind = 'EXTENDS' THEN f.id END) AS extended,
     count(DISTINCT CASE WHEN r.kind = 'CHALLENGES' THEN f.id END) AS challenged,
     collect(DISTINCT f.name) AS findings, collect(DISTINCT th.name) AS themes
RETURN t.name AS theory, c.name AS construct, supported AS supported, extended AS extended,
       challenged AS challenged,
       CASE WHEN supported + extended + challenged = 0 THEN 'untouched'
            ELSE trim(CASE WHEN supported > 0 THEN 'supported ' ELSE '' END
                      + CASE WHEN extended > 0 THEN 'extended ' ELSE '' END
                      + CASE WHEN challenged > 0 THEN 'challenged' ELSE '' END) END AS status,
       findings AS findings, themes AS themes
ORDER BY theory, construct
