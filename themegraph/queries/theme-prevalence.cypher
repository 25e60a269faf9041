// name: theme-prevalence
// question: How many participants voice each theme (its sub-themes included), with how many extracts and codes?
// param study: string = "" | a study id; empty for all studies
// param level: enum[Theme.level] = "" | final, emerging or a deeper level (any case); empty for every level
// columns: study, theme, level, participants, extracts, codes, who
MATCH (t:Theme)
WHERE ($study = '' OR t.study = $study) AND ($level = '' OR t.level = $level)
MATCH (st:Theme)-[:SUBTHEME_OF*0..4]->(t)
OPTIONAL MATCH (st)<-[:ILLUSTRATES]-(e:Extract)
OPTIONAL MATCH (e)-[:SPOKEN_BY]->(p:Participant)
OPTIONAL MATCH (st)<-[:IN_THEME]-(c:Code)
RETURN t.study AS study, t.name AS theme, t.level AS level, count(DISTINCT p) AS participants,
       count(DISTINCT e) AS extracts, count(DISTINCT c) AS codes, collect(DISTINCT p.name) AS who
ORDER BY study, participants DESC, extracts DESC, theme
