// name: most-cited
// question: Which works are cited most often (citation occurrences), overall or in one section?
// param study: string = "" | a study id; empty for all studies
// param section: string = "" | part of a section name (e.g. Discussion); empty for all
// param top: int = 20 | how many works
// columns: work, year, occurrences, studies, sections
MATCH (s:Study)-[c:CITES]->(w:Work)
WHERE ($study = '' OR s.id = $study)
  AND ($section = '' OR toLower(coalesce(c.section, '')) CONTAINS toLower($section))
RETURN w.name AS work, w.year AS year, count(c) AS occurrences, count(DISTINCT s) AS studies,
       collect(DISTINCT c.section) AS sections
ORDER BY occurrences DESC, work
LIMIT $top
