// name: most-cited-authors
// question: Which authors are cited most often (citation occurrences of their works), overall or in one section?
// param study: string = "" | a study id; empty for all studies
// param section: string = "" | part of a section name; empty for all
// param top: int = 20 | how many authors
// columns: author, occurrences, works, first_authored
MATCH (s:Study)-[c:CITES]->(w:Work)-[a:AUTHORED_BY]->(au:Author)
WHERE ($study = '' OR s.id = $study)
  AND ($section = '' OR toLower(coalesce(c.section, '')) CONTAINS toLower($section))
RETURN au.name AS author, count(c) AS occurrences, count(DISTINCT w) AS works,
       count(DISTINCT CASE WHEN a.position = 1 THEN w.id END) AS first_authored
ORDER BY occurrences DESC, author
LIMIT $top
