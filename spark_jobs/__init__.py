"""PySpark jobs of wikilake: one module per dataset, plus small shared helpers.

Nothing here calls AWS: the same code runs on EMR (s3:// roots) and locally (folder roots).
"""
