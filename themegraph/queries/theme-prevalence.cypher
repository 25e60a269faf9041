// name: theme-prevalence
// question: How many participants voice each theme (its sub-themes included), with how many extracts and codes?
// param study: string = "" | a study id; empty for all studies
// param level: enum[Theme.level] = "" | final, emerging or a deeper level (any case); empty for every level
// columns: study, theme, level, participants, extracts, extracts_linked, extracts_via_codes, codes, who
// (extracts_linked: linked to the theme or a sub-theme itself; extracts_via_codes: coded to one of
//  their codes; extracts: both together, each extract once; participants and who: of all of them)
MATCH (t:Theme)
WHERE ($study = '' OR t.study = $study) AND ($level = '' OR t.level = $level)
OPTIONAL MATCH (c:Code)-[:IN_THEME]->(:Theme)-[:SUBTHEME_OF*0..8]->(t)
WITH t, count(DISTINCT c) AS codes
OPTIONAL MATCH (e:Extract)-[:ILLUSTRATES|CODED_AS|IN_THEME*1..2]->(:Theme)-[:SUBTHEME_OF*0..8]->(t)
WITH t, codes, e
OPTIONAL MATCH (e)-[:ILLUSTRATES]->(linked:Theme)-[:SUBTHEME_OF*0..8]->(t)
OPTIONAL MATCH (e)-[:CODED_AS]->(:Code)-[:IN_THEME]->(coded:Theme)-[:SUBTHEME_OF*0..8]->(t)
OPTIONAL MATCH (e)-[:SPOKEN_BY]->(p:Participant)
RETURN t.study AS study, t.name AS theme, t.level AS level, count(DISTINCT p) AS participants,
       count(DISTINCT e) AS extracts,
       count(DISTINCT CASE WHEN linked IS NULL THEN NULL ELSE e.id END) AS extracts_linked,
       count(DISTINCT CASE WHEN coded IS NULL THEN NULL ELSE e.id END) AS extracts_via_codes,
       codes AS codes, collect(DISTINCT p.name) AS who
ORDER BY study, participants DESC, extracts DESC, theme
