// name: review-single-study
// question: Which review findings rest on a single study?
// param review: string = "" | a review id (as in its review.yaml); empty for all reviews
// columns: review, finding, study, confidence
MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x)
WHERE ($review = '' OR r.id = 'review/' + $review) AND s.status = 'accepted' AND s.stance = 'supports'
WITH r, f, count(DISTINCT x.study) AS n, min(x.study) AS study
WHERE n = 1
RETURN r.name AS review, f.name AS finding, study AS study, f.confidence AS confidence
ORDER BY review, finding
