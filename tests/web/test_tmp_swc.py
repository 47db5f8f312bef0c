PERIOD = {"preset": "custom", "start": "2026-03-01", "end": "2026-03-31"}

def test_a(client, auth, make):
    auth.login(make.payroll())
    r = client.get("/payroll/export.csv", query_string=PERIOD)
    assert r.get_data().startswith(b"entry_id")

def test_b(client, auth, make):
    auth.login(make.payroll())
    r = client.get("/payroll/export.csv", query_string=PERIOD)
    assert r.is_streamed
    assert r.get_data().startswith(b"entry_id")

def test_c(client, auth, make):
    auth.login(make.payroll())
    r = client.get("/payroll/export.csv", query_string=PERIOD)
    r.mimetype
    r.headers["Content-Disposition"]
    assert r.get_data().startswith(b"entry_id")
