"""Arabic number format for MOS: Western digits with "." for decimals and "," between
thousands, as Arabic business dashboards in the Gulf and Levant print them (Django's default
Arabic format uses "," for decimals and no grouping, which misreads 4,1 % and 13980)."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# Dates: day first with the month's name ("3 ديسمبر 2026", "3 ديسمبر 2026، 14:05"), the same
# order as English, never a numeric month-first form.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "j F Y، H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
