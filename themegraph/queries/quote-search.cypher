// name: quote-search
// question: Which extracts contain all the given words (case-insensitive), said by whom, under which themes?
// param words: words = [] | words that must all occur (e.g. -p words="trust genuine")
// param study: string = "" | a study id; empty for all studies
// columns: study, extract, participant, themes, quote
MATCH (e:Extract)
WHERE ($study = '' OR e.study = $study)
  AND all(w IN $words WHERE w = '' OR toLower(e.text) CONTAINS w)
OPTIONAL MATCH (e)-[:SPOKEN_BY]->(p:Participant)
OPTIONAL MATCH (e)-[:ILLUSTRATES]->(t:Theme)
RETURN e.study AS study, e.name AS extract, p.name AS participant, collect(t.name) AS themes, e.text AS quote
ORDER BY study, extract
