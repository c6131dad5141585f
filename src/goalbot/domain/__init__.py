"""Goals, metrics, periods, answers and evaluation rules: no framework imports."""
