// name: most-cited-authors
// question: Which authors are cited most often (citation occurrences of their works), overall or in one section?
// param study: string = "" | a study id; empty for all studies
// param section: string = "" | part of a section name; empty for all
// param top: int = 20 | how many authors
// columns: author, occurrences, works, first_authored
MATCH (s:Study)-[c:CITES]->(w:Work)
WHERE ($study = '' OR s.id = $study)
  AND ($section = '' OR toLower(coalesce(c.section, '')) CONTAINS toLower($section))
WITH w, count(c) AS cited
MATCH (w)-[a:AUTHORED_BY]->(au:Author)
WITH au, sum(cited) AS occurrences, count(DISTINCT w) AS works,
     sum(CASE WHEN a.position = 1 THEN 1 ELSE 0 END) AS first_authored
RETURN au.name AS author, occurrences AS occurrences, works AS works, first_authored AS first_authored
ORDER BY occurrences DESC, author
LIMIT $top
