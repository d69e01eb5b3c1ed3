"""Lead scoring: rules on properties, events (recency-weighted) and fit, a 0–100 score on
every contact, thresholds that propose MQL / SQL moves, and how each score band converts."""
