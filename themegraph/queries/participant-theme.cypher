// name: participant-theme
// question: How many extracts does each participant contribute to each theme (a matrix coding query), with totals?
// param study: string = "" | a study id; empty for all studies
// param level: enum[Theme.level] = "final" | theme level to count at (final, emerging ..., any case); empty for every level
// columns: study, participant, theme, level, extracts, participant_total
MATCH (p:Participant)<-[:SPOKEN_BY]-(e:Extract)
WHERE $study = '' OR p.study = $study
WITH p, count(DISTINCT e) AS participant_total
// (an extract counts for a theme it or one of its codes is linked to, sub-themes included, as in
//  theme-prevalence: imported CAQDAS projects code extracts to codes, study bundles link them to themes)
MATCH (p)<-[:SPOKEN_BY]-(e:Extract)-[:ILLUSTRATES|CODED_AS|IN_THEME*1..2]->(:Theme)-[:SUBTHEME_OF*0..8]->(t:Theme)
WHERE $level = '' OR t.level = $level
RETURN p.study AS study, p.name AS participant, t.name AS theme, t.level AS level,
       count(DISTINCT e) AS extracts, participant_total AS participant_total
ORDER BY study, participant, level, theme
