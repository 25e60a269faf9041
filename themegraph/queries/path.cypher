// name: path
// question: How is X related to Y: the shortest connections between two named nodes (not through the study hub)?
// param from: string = "" | id or exact name of the first node (e.g. PB)
// param to: string = "" | id or exact name of the second node (e.g. Bonds)
// columns: length, kinds, names
// keep order: kinds, names
MATCH (a), (b)
WHERE (a.id = $from OR a.name = $from) AND (b.id = $to OR b.name = $to) AND a.id <> b.id
  AND NOT a:_Staged AND NOT b:_Staged  // nodes of a large load not yet published (Neo4j only)
MATCH p = allShortestPaths((a)-[:IN_THEME|SUBTHEME_OF|CODED_AS|ILLUSTRATES|SPOKEN_BY|CITES|AUTHORED_BY|PROPOSED_IN|PART_OF|DERIVED_FROM|SUPPORTS|EXTENDS|CHALLENGES|IN_DOCUMENT|DOCUMENT_OF|ANNOTATES|IN_SET|LINKED_TO|CODED_BY*..6]-(b))
RETURN length(p) AS length, [n IN nodes(p) | n.kind] AS kinds, [n IN nodes(p) | n.name] AS names
