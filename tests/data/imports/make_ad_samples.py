"""Writes the ad-platform and exchange-rate sample files of tests/data/imports the way each
platform exports them by default (encodings, delimiters, title lines, summary rows, number
formats). Run by hand: python tests/data/imports/make_ad_samples.py. The expected totals are
in crm/tests/test_imports_ads.py, computed by hand."""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def write(name, text, encoding="utf-8"):
    data = text.replace("\n", "\r\n").encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    (HERE / name).write_bytes(data)


# Meta Ads Manager → Export table data (CSV), Breakdown: By time → Day, By delivery → Placement;
# "Include summary row" on; UTF-8 with BOM; the currency in the amount header
write("meta_ads_day_placement.csv", "\ufeff" + """Campaign name,Day,Platform,Placement,Campaign ID,Impressions,Reach,Link clicks,Amount spent (EUR),Reporting starts,Reporting ends
,,,,,51200,30211,590,237.83,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-01,facebook,Feed,120210000000000001,10000,8120,120,45.10,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-01,instagram,Instagram Stories,120210000000000001,4000,3301,30,12.35,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-01,instagram,Instagram Reels,120210000000000001,6500,5120,55,20.05,2026-11-01,2026-11-02
Retargeting 30d,2026-11-01,facebook,Feed,120210000000000002,3000,1800,80,30.00,2026-11-01,2026-11-02
Retargeting 30d,2026-11-01,instagram,Instagram Stories,120210000000000002,1200,990,15,8.40,2026-11-01,2026-11-02
Retargeting 30d,2026-11-01,instagram,Instagram Reels,120210000000000002,900,700,,3.33,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-02,facebook,Feed,120210000000000001,9500,7705,110,44.00,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-02,instagram,Instagram Stories,120210000000000001,4200,3400,33,13.00,2026-11-01,2026-11-02
Winter Sale – Prospecting,2026-11-02,instagram,Instagram Reels,120210000000000001,7000,5502,60,21.70,2026-11-01,2026-11-02
Retargeting 30d,2026-11-02,facebook,Feed,120210000000000002,2800,1750,70,28.25,2026-11-01,2026-11-02
Retargeting 30d,2026-11-02,instagram,Instagram Stories,120210000000000002,1100,900,12,7.75,2026-11-01,2026-11-02
Retargeting 30d,2026-11-02,instagram,Instagram Reels,120210000000000002,1000,810,5,3.90,2026-11-01,2026-11-02
""")

# The same kind of export (Day × Age × Gender) re-saved by Excel in a German locale:
# Windows-1252, semicolons, thousands dots and decimal commas
write("meta_ads_day_age_gender_de.csv", """Reporting starts;Reporting ends;Campaign name;Campaign ID;Day;Age;Gender;Impressions;Link clicks;Amount spent (EUR)
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;18-24;female;1.250;20;10,50
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;18-24;male;2.000;31;15,25
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;18-24;unknown;300;2;1,05
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;25-34;female;1.800;25;12,40
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;25-34;male;2.450;40;18,80
2026-11-02;2026-11-02;Herbstaktion – Video;120210000000000009;2026-11-02;25-34;unknown;150;;0,00
""", encoding="cp1252")

# Meta, campaign level, no Day breakdown: one row per campaign for the whole week
write("meta_ads_no_day.csv", """Reporting starts,Reporting ends,Campaign name,Campaign ID,Impressions,Reach,Link clicks,Amount spent (USD),Results,Result indicator
2026-11-01,2026-11-07,Always-on Prospecting,120210000000000021,"70,003","41,002","1,401",700.00,35,actions:offsite_conversion.fb_pixel_purchase
2026-11-01,2026-11-07,Brand Awareness,120210000000000022,10,10,3,100.05,,
""")

# Meta, account level (no campaign columns), by Day, with the summary row
write("meta_ads_account_level.csv", """Account name,Account ID,Day,Impressions,Link clicks,Amount spent (USD),Reporting starts,Reporting ends
,,,10100,121,105.55,2026-11-01,2026-11-03
Acme Store,1234567890123456,2026-11-01,5000,60,50.00,2026-11-01,2026-11-03
Acme Store,1234567890123456,2026-11-02,5100,61,55.55,2026-11-01,2026-11-03
Acme Store,1234567890123456,2026-11-03,0,,,2026-11-01,2026-11-03
""")

# Meta, Breakdown: By time → Month, By delivery → Platform
write("meta_ads_month_platform.csv", """Reporting starts,Reporting ends,Month,Platform,Campaign name,Campaign ID,Impressions,Link clicks,Amount spent (USD)
2026-10-01,2026-10-31,2026-10-01 - 2026-10-31,facebook,Evergreen Catalog,120210000000000031,"31,000",310,310.00
2026-10-01,2026-10-31,2026-10-01 - 2026-10-31,instagram,Evergreen Catalog,120210000000000031,"6,200",,155.31
""")

# Meta, nothing delivered in the chosen range
write("meta_ads_no_data.csv", """Reporting starts,Reporting ends,Campaign name,Impressions,Link clicks,Amount spent (USD)
No data available.
""")

# Google Ads → Campaigns → Download → "Excel .csv": UTF-16 with BOM, tab-separated, two title
# lines, the default columns (no Day segment), "Total:" rows
write("google_ads_default_no_day_utf16.csv", """Campaign report
November 1, 2026 - November 30, 2026
Campaign status\tCampaign\tBudget\tBudget name\tBudget type\tStatus\tStatus reasons\tCampaign type\tCurrency code\tImpr.\tInteractions\tInteraction rate\tAvg. cost\tCost\tClicks\tConv. rate\tConversions\tCost / conv.
Enabled\tBrand - Search\t20.00\t--\tDaily\tEligible\t--\tSearch\tUSD\t3,000\t150 clicks\t5.00%\t2.00\t300.00\t150\t4.00%\t6.00\t50.00
Enabled\tGeneric - Search\t50.00\t--\tDaily\tEligible\t--\tSearch\tUSD\t45,001\t901 clicks\t2.00%\t1.37\t1,234.56\t901\t1.11%\t10.00\t123.46
Total: Account\t--\t--\t--\t--\t--\t--\t--\tUSD\t48,001\t1,051\t2.19%\t1.46\t1,534.56\t1,051\t1.52%\t16.00\t95.91
Total: Search\t--\t--\t--\t--\t--\t--\t--\tUSD\t48,001\t1,051\t2.19%\t1.46\t1,534.56\t1,051\t1.52%\t16.00\t95.91
Total: Campaigns\t--\t--\t--\t--\t--\t--\t--\tUSD\t48,001\t1,051\t2.19%\t1.46\t1,534.56\t1,051\t1.52%\t16.00\t95.91
""", encoding="utf-16-le")

# TikTok Ads Manager → Reporting → Custom report: dimensions Campaign and Day, in SAR,
# UTF-8, with the Total row TikTok puts first
write("tiktok_ads_daily_campaign.csv", """Campaign name,Campaign ID,By Day,Cost,CPC (destination),CPM,Impressions,Clicks (destination),CTR (destination),Conversions,Currency
Total,--,--,975.50,1.54,11.07,88100,634,0.72%,41,SAR
Ramadan Reach,1781234567890001,2026-11-01,200.00,1.33,10.00,20000,150,0.75%,9,SAR
Always-on,1781234567890002,2026-11-01,120.00,2.00,13.33,9000,60,0.67%,4,SAR
Ramadan Reach,1781234567890001,2026-11-02,210.00,1.31,10.00,21000,160,0.76%,10,SAR
Always-on,1781234567890002,2026-11-02,130.00,1.97,13.68,9500,66,0.69%,5,SAR
Ramadan Reach,1781234567890001,2026-11-03,190.00,1.36,9.74,19500,140,0.72%,8,SAR
Always-on,1781234567890002,2026-11-03,125.50,2.16,13.79,9100,58,0.64%,5,SAR
""")

# LinkedIn Campaign Manager → Analyze → Export → Campaign performance, Time breakdown: Daily.
# UTF-16 tab-separated, four title lines, US dates, GBP account
write("linkedin_campaign_performance.csv", """Campaign Performance Report (in UTC)
Report Start: 11/2/2026, 12:00 AM
Report End: 11/3/2026, 11:59 PM
Date Generated: 11/4/2026, 9:12 AM
Start Date (in UTC)\tEnd Date (in UTC)\tAccount Name\tCurrency\tCampaign Group Name\tCampaign Group ID\tCampaign Name\tCampaign ID\tCampaign Type\tCampaign Status\tTotal Spent\tImpressions\tClicks\tAverage CPM\tAverage CPC\tConversions
11/2/2026\t11/2/2026\tAcme Ltd\tGBP\tQ4 Demand\t612345678\tB2B Leads – UK\t298765432\tSponsored Content\tACTIVE\t150.00\t4000\t40\t37.50\t3.75\t3
11/2/2026\t11/2/2026\tAcme Ltd\tGBP\tQ4 Demand\t612345678\tRetarget – Visitors\t298765433\tText Ads\tACTIVE\t12.50\t900\t9\t13.89\t1.39\t0
11/3/2026\t11/3/2026\tAcme Ltd\tGBP\tQ4 Demand\t612345678\tB2B Leads – UK\t298765432\tSponsored Content\tACTIVE\t88.00\t900\t9\t97.78\t9.78\t1
11/3/2026\t11/3/2026\tAcme Ltd\tGBP\tQ4 Demand\t612345678\tRetarget – Visitors\t298765433\tText Ads\tACTIVE\t0.00\t0\t0\t0.00\t0.00\t0
""", encoding="utf-16-le")

# The ECB's eurofxref-hist.csv (newest first, EUR-based, "N/A" where a currency is not
# quoted, a trailing comma on every line), cut to two weeks
HEADER = ("Date,USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,HUF,LTL,LVL,MTL,PLN,ROL,RON,SEK,SIT,SKK,CHF,"
          "ISK,NOK,HRK,RUB,TRL,TRY,AUD,BRL,CAD,CNY,HKD,IDR,ILS,INR,KRW,MXN,MYR,NZD,PHP,SGD,"
          "THB,ZAR,")
DAYS = [("2026-11-06", "1.1520", "0.8790", "20.1000"), ("2026-11-05", "1.1510", "0.8785", "20.0500"),
        ("2026-11-04", "1.1505", "0.8790", "20.0200"), ("2026-11-03", "1.1500", "0.8800", "20.0100"),
        ("2026-11-02", "1.1550", "0.8750", "20.0000"), ("2026-10-30", "1.1600", "0.8800", "20.2000"),
        ("2026-10-29", "1.1620", "0.8810", "20.2500"), ("2026-10-28", "1.1610", "0.8805", "20.3000"),
        ("2026-10-27", "1.1630", "0.8812", "20.2800"), ("2026-10-26", "1.1640", "0.8820", "20.3100")]
lines = [HEADER]
for day, usd, gbp, zar in DAYS:
    cells = {"USD": usd, "GBP": gbp, "ZAR": zar, "JPY": "175.20", "BGN": "1.9558",
             "CZK": "24.315", "DKK": "7.4605", "HUF": "387.45", "PLN": "4.2545", "RON": "5.0770",
             "SEK": "11.0150", "CHF": "0.9405", "ISK": "143.90", "NOK": "11.6720",
             "TRY": "48.1025", "AUD": "1.7805", "BRL": "6.2140", "CAD": "1.6150",
             "CNY": "8.2210", "HKD": "8.9610", "IDR": "19245.50", "ILS": "3.8020",
             "INR": "101.9850", "KRW": "1650.25", "MXN": "21.3560", "MYR": "4.8820",
             "NZD": "2.0150", "PHP": "67.850", "SGD": "1.5010", "THB": "37.605"}
    lines.append(",".join([day] + [cells.get(c, "N/A") for c in HEADER.split(",")[1:-1]]) + ",")
write("eurofxref-hist.csv", "\n".join(lines) + "\n")

# MOS's own rates layout: date, currency, rate (one unit of the currency in the workspace
# currency) — SAR, which the ECB does not publish
write("rates_sar.csv", """date,currency,rate
2026-11-01,SAR,0.2666
2026-11-02,SAR,0.2667
2026-11-03,SAR,0.2665
""")

# Orders in three currencies (and one without a rate near its date)
write("orders_multi_currency.csv", """order id,customer email,date,amount,currency
o-usd-1,buyer1@example.com,2026-11-02T10:00:00Z,100.00,USD
o-eur-1,buyer1@example.com,2026-11-02T11:30:00Z,50.00,EUR
o-zar-1,buyer2@example.com,2026-11-02T12:00:00Z,400.00,ZAR
o-eur-old,buyer2@example.com,2026-10-20T09:00:00Z,20.00,EUR
""")
