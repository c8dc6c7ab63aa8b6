"""The local session's driver JVM options: the quiet log configuration always, then the ones
WIKILAKE_DRIVER_JAVA_OPTIONS adds; set before the JVM starts, they reach it."""

from __future__ import annotations

from spark_jobs import session


def test_the_configured_options_follow_the_log_configuration(monkeypatch):
    log_option = f"-Dlog4j2.configurationFile=file:{session.LOCAL_LOG_CONFIG}"
    monkeypatch.delenv("WIKILAKE_DRIVER_JAVA_OPTIONS", raising=False)
    assert session.local_settings()["spark.driver.extraJavaOptions"] == log_option
    monkeypatch.setenv("WIKILAKE_DRIVER_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -Dx=y")
    assert session.local_settings()["spark.driver.extraJavaOptions"] == f"{log_option} -XX:TieredStopAtLevel=1 -Dx=y"


def test_the_driver_options_reach_the_jvm(spark):
    arguments = list(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert f"-Dlog4j2.configurationFile=file:{session.LOCAL_LOG_CONFIG}" in arguments
