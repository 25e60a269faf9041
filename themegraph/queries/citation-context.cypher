// name: citation-context
// question: In which sentences, sections and with what stance is a given work cited?
// param work: string = "" | part of the work's short name, key, title or DOI (e.g. Bordin (1979), bordin1979)
// param study: string = "" | a study id; empty for all studies
// columns: study, work, section, stance, sentence, cited_as
MATCH (s:Study)-[c:CITES]->(w:Work)
WHERE ($study = '' OR s.id = $study)
  AND ($work = '' OR toLower(w.name) CONTAINS toLower($work) OR toLower(coalesce(w.key, '')) = toLower($work)
       OR toLower(coalesce(w.title, '')) CONTAINS toLower($work) OR toLower(coalesce(w.doi, '')) = toLower($work))
RETURN s.id AS study, w.name AS work, c.section AS section, c.stance AS stance, c.sentence AS sentence,
       c.cited_as AS cited_as
ORDER BY study, work, c.char_start, sentence
