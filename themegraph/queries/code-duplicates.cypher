// name: code-duplicates
// question: Which codes sit under more than one theme, and which code labels are near-duplicates of each other?
// param study: string = "" | a study id; empty for all studies
// columns: study, kind, code, other, themes
// (similar labels are compared only within groups sharing their first four letters: a label that
//  begins another, or differs by a plural s, always does, and it keeps the comparison linear)
MATCH (c:Code)-[:IN_THEME]->(t:Theme)
WHERE $study = '' OR c.study = $study
WITH c, collect(t.name) AS themes
WHERE size(themes) > 1
RETURN c.study AS study, 'several themes' AS kind, c.name AS code, '' AS other, themes AS themes
UNION ALL
MATCH (c:Code)
WHERE $study = '' OR c.study = $study
WITH c.study AS study, left(toLower(c.name), 4) AS stem, collect({id: c.id, name: c.name}) AS codes
WHERE size(codes) > 1
UNWIND codes AS a
UNWIND codes AS b
WITH study, a, b
WHERE a.id < b.id
  AND (toLower(a.name) STARTS WITH toLower(b.name) OR toLower(b.name) STARTS WITH toLower(a.name)
       OR toLower(a.name) = toLower(b.name) + 's' OR toLower(b.name) = toLower(a.name) + 's')
WITH study, a.id AS a_id, a.name AS code, b.name AS other
MATCH (c:Code) WHERE c.id = a_id
OPTIONAL MATCH (c)-[:IN_THEME]->(t:Theme)
RETURN study AS study, 'similar label' AS kind, code AS code, other AS other, collect(t.name) AS themes
