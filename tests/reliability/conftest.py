"""Prints the hostile-input counts (recorded by test_hostile_input.test_report_counts, also
under pytest-xdist) in the terminal summary."""


def pytest_terminal_summary(terminalreporter):
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "hostile_counts":
                terminalreporter.write_line(f"hostile inputs: {value}")
