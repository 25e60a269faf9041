// name: participant-theme
// question: How many extracts does each participant contribute to each theme (a matrix coding query), with totals?
// param study: string = "" | a study id; empty for all studies
// param level: enum[Theme.level] = "final" | theme level to count at (final, emerging ..., any case); empty for every level
// columns: study, participant, theme, level, extracts, participant_total
MATCH (p:Participant)<-[:SPOKEN_BY]-(e:Extract)
WHERE $study = '' OR p.study = $study
WITH p, count(DISTINCT e) AS participant_total
MATCH (p)<-[:SPOKEN_BY]-(e:Extract)-[:ILLUSTRATES]->(:Theme)-[:SUBTHEME_OF*0..4]->(t:Theme)
WHERE $level = '' OR t.level = $level
RETURN p.study AS study, p.name AS participant, t.name AS theme, t.level AS level,
       count(DISTINCT e) AS extracts, participant_total AS participant_total
ORDER BY study, participant, level, theme
