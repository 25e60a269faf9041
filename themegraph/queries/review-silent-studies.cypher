// name: review-silent-studies
// question: Which studies does a review include that contribute nothing to any of its findings?
// param review: string = "" | a review id (as in its review.yaml); empty for all reviews
// columns: review, study, title, relevance
MATCH (r:Review)-[i:INCLUDES]->(st:Study)
WHERE $review = '' OR r.id = 'review/' + $review
OPTIONAL MATCH (r)-[:HAS_FINDING]->(:ReviewFinding)-[s:SYNTHESISES]->(x)
WHERE x.study = st.id AND s.status = 'accepted'
WITH r, st, i, count(x) AS links
WHERE links = 0
RETURN r.name AS review, st.id AS study, st.name AS title, i.relevance AS relevance
ORDER BY review, study
