// name: code-duplicates
// question: Which codes sit under more than one theme, and which code labels are near-duplicates of each other?
// param study: string = "" | a study id; empty for all studies
// columns: study, kind, code, other, themes
MATCH (c:Code)-[:IN_THEME]->(t:Theme)
WHERE $study = '' OR c.study = $study
WITH c, collect(t.name) AS themes
WHERE size(themes) > 1
RETURN c.study AS study, 'several themes' AS kind, c.name AS code, '' AS other, themes AS themes
UNION ALL
MATCH (a:Code), (b:Code)
WHERE a.study = b.study AND a.id < b.id AND ($study = '' OR a.study = $study)
  AND (toLower(a.name) STARTS WITH toLower(b.name) OR toLower(b.name) STARTS WITH toLower(a.name)
       OR toLower(a.name) = toLower(b.name) + 's' OR toLower(b.name) = toLower(a.name) + 's')
OPTIONAL MATCH (a)-[:IN_THEME]->(t:Theme)
RETURN a.study AS study, 'similar label' AS kind, a.name AS code, b.name AS other, collect(t.name) AS themes
