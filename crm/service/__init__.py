"""Customer service (seed 003): complaints and suggestions with their handling, and CSAT / NPS
surveys with their answers. The models live in crm (intake data) so the metrics pipeline in
engines can read them; the screens are in planning."""
