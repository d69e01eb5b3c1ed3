"""Arabic number format for MOS: Western digits with "." for decimals and "," between
thousands, as Arabic business dashboards in the Gulf and Levant print them (Django's default
Arabic format uses "," for decimals and no grouping, which misreads 4,1 % and 13980)."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
