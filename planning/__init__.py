"""Planning: the team's plans judged by MOS's numbers (SOSTAC, quarterly bets, 30-60-90,
budget moves, content calendar, campaign plans). Sits beside reports in the layering."""
