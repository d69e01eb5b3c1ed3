"""The tracking plan and data quality: `quality` (the plan's services and the data-quality
report), its pages (`views`, `urls`) and API (`api`)."""
