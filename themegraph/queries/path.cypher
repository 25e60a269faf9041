// name: path
// question: How is X related to Y: the shortest connections between two named nodes (not through the study hub)?
// param from: node = "" | id or exact name of the first node (e.g. PB)
// param to: node = "" | id or exact name of the second node (e.g. Bonds)
// columns: length, kinds, names
// keep order: kinds, names
// (the catalogue looks both nodes up by label first: {{from}} and {{to}} are their kinds, and
//  {{path_rels}} every relation type the schema declares but the hubs, such as IN_STUDY)
MATCH (a:{{from}}) WHERE a.id IN $from
MATCH (b:{{to}}) WHERE b.id IN $to AND a.id <> b.id
MATCH p = allShortestPaths((a)-[:{{path_rels}}*..6]-(b))
RETURN length(p) AS length, [n IN nodes(p) | n.kind] AS kinds, [n IN nodes(p) | n.name] AS names
