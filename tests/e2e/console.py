#!/usr/bin/python3
"""tests/e2e/console.py — drives the reviewers' console for test_console.sh.

    console.py PHASE URL SHOTS HOUSEHOLD OTHER

PHASE is `village` (Chromium: log in, overview, worklist, the home check and
the village appraisal), `security` (HTTP: lockout, replayed cookie, forged
form, scope, headers) or `county` (Chromium, a week later: township review,
county approval, a measure, a conflict, the audit log). Prints TAP-like
`ok`/`not ok` lines and exits 1 when any check failed."""
import http.client
import os
import re
import ssl
import sys
import time
import urllib.parse

PHASE, URL, SHOTS, HOUSEHOLD, OTHER = sys.argv[1:6]
PASSWORDS = {"li": "village-pass-1", "wang": "township-pass-1", "zhao": "county-pass-1",
             "root": "admin-pass-12"}
failed = 0
count = 0


def check(what, cond, detail=""):
    global failed, count
    count += 1
    if cond:
        print(f"ok {count} - {what}")
    else:
        failed += 1
        print(f"not ok {count} - {what}" + (f": {detail}" if detail else ""))


# ---- the browser -----------------------------------------------------------------------

def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    opts.add_experimental_option("prefs", {"download.default_directory": SHOTS,
                                           "download.prompt_for_download": False})
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--ignore-certificate-errors", "--window-size=1366,768", "--lang=zh-CN"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def click(drv, element):
    """Click, and wait for the next page to replace this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    old = drv.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        # The old page's root is gone once the next page is in. Chromium says so
        # as a stale element or, between two documents, as a node that "does not
        # belong to the document": both mean replaced.
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True
    WebDriverWait(drv, 15).until(replaced)
    settle(drv)


def settle(drv):
    """Wait until the page has loaded, after any redirect."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(drv, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def shot(drv, name, width=1366):
    """A screenshot of the whole page, as tall as its content, at width."""
    drv.set_window_size(width, 768)
    height = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(width, max(768, min(int(height), 6000)))
    drv.save_screenshot(os.path.join(SHOTS, name + ".png"))
    drv.set_window_size(1366, 768)


def login(drv, name):
    from selenium.webdriver.common.by import By
    drv.get(URL + "/login")
    drv.find_element(By.NAME, "name").send_keys(name)
    drv.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    click(drv, drv.find_element(By.CSS_SELECTOR, "form.login button"))
    return drv.find_element(By.TAG_NAME, "h1").text


def logout(drv):
    from selenium.webdriver.common.by import By
    click(drv, drv.find_element(By.CSS_SELECTOR, "form.who button"))


def act(drv, action, note, extra=None):
    """Fill and send the form of one lifecycle action; the page after it."""
    from selenium.webdriver.common.by import By
    forms = drv.find_elements(By.CSS_SELECTOR, "form.act")
    for f in forms:
        if f.find_element(By.NAME, "action").get_attribute("value") == action:
            if extra:
                extra(f)
            f.find_element(By.NAME, "note").send_keys(note)
            click(drv, f.find_element(By.TAG_NAME, "button"))
            return True
    return False


def done_text(drv):
    from selenium.webdriver.common.by import By
    found = drv.find_elements(By.CSS_SELECTOR, "p.done")
    return found[0].text if found else ""


def error_text(drv):
    from selenium.webdriver.common.by import By
    found = drv.find_elements(By.CSS_SELECTOR, "p.error")
    return found[0].text if found else ""


def no_alert(drv):
    from selenium.common.exceptions import NoAlertPresentException
    try:
        drv.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def village():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    drv = browser()
    try:
        h1 = login(drv, "li")
        check("li logs in and lands on the overview, in Chinese", h1 == "总览", h1)
        charts = drv.find_elements(By.CSS_SELECTOR, "svg.chart")
        check("the overview draws households by tier and red and orange by month as SVG charts", len(charts) == 2,
              str(len(charts)))
        body = drv.find_element(By.TAG_NAME, "table").text
        check("the overview counts the village's households by tier", "511823101201" in body, body[:200])
        check("…and only the account's villages", "511823101202" not in body, body)
        devices = drv.find_elements(By.TAG_NAME, "table")[-1].text
        check("the devices' health: outbox depth, clock skew, version",
              "hearth 0.1.0" in devices and re.search(r"[+-][0-2] s", devices), devices)
        shot(drv, "01-overview")
        click(drv, drv.find_element(By.LINK_TEXT, "工作清单"))
        Select(drv.find_element(By.NAME, "tier")).select_by_value("red")
        click(drv, drv.find_element(By.CSS_SELECTOR, "form.filters button"))
        rows = drv.find_elements(By.CSS_SELECTOR, "table.work tbody tr")
        names = [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows]
        check("the worklist filtered to red shows the red households, with the head's name",
              "李建国" in names and all("红" in r.text for r in rows), repr(names))
        check("a name that is markup shows as text", "<script>alert(1)</script>" in names, repr(names))
        check("…and runs nothing: no script element, no alert",
              not drv.find_elements(By.TAG_NAME, "script") and no_alert(drv))
        check("reasons are sentences with the numbers", "人均纯收入" in drv.find_element(By.TAG_NAME, "main").text)
        shot(drv, "02-worklist-red")
        click(drv, drv.find_element(By.LINK_TEXT, "李建国"))
        check("the household page opens on its head", drv.find_element(By.TAG_NAME, "h1").text == "李建国")
        check("its per-capita income over the visits is a chart",
              len(drv.find_elements(By.CSS_SELECTOR, "svg.chart polyline")) == 1)
        check("ID numbers are shown with their middle hidden",
              "110105********002X" in drv.find_element(By.TAG_NAME, "main").text)
        shot(drv, "03-household")
        check("li may not take the township's step", not drv.find_elements(
            By.CSS_SELECTOR, "form.act input[name=action][value=township]"))
        ok = act(drv, "verify", "入户核实，情况属实",
                 lambda f: f.find_element(By.NAME, "consent").click())
        check("the home check is done from its form", ok and "核实" in done_text(drv), done_text(drv) or error_text(drv))
        ok = act(drv, "village", "村民代表评议通过")
        check("the village appraisal is done from its form", ok and done_text(drv), error_text(drv))
        check("…and the timeline shows both steps by li",
              drv.find_element(By.CSS_SELECTOR, "ol.timeline").text.count("li") >= 2)
        shot(drv, "04-household-village-approved")
        ok = act(drv, "verify", "again")
        check("a step the state does not allow is not offered", not ok)
        drv.get(URL + "/household?id=" + OTHER + "&lang=en")
        check("English on request", drv.find_element(By.TAG_NAME, "h1").text != "" and
              "Members" in drv.find_element(By.TAG_NAME, "main").text)
        drv.get(URL + "/?lang=zh")
        logout(drv)
        check("logging out leads to the login page", "/login" in drv.current_url)
    finally:
        drv.quit()


def county():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    drv = browser()
    try:
        login(drv, "wang")
        drv.get(URL + "/household?id=" + HOUSEHOLD)
        ok = act(drv, "township", "乡镇审核通过")
        check("a week later the township reviews", ok and done_text(drv), error_text(drv))
        shot(drv, "05-township")
        logout(drv)
        login(drv, "zhao")
        charts = drv.find_elements(By.CSS_SELECTOR, "svg.chart")
        check("the overview charts warnings by month once there are some", len(charts) == 3, str(len(charts)))
        points = [t.get_attribute("textContent") for t in drv.find_elements(By.CSS_SELECTOR, "svg.chart circle title")]
        check("red households month by month, from the months counted before", "2026-01 7" in points, repr(points))
        body = drv.find_element(By.TAG_NAME, "table").text
        check("a county account sees every village", "511823101201" in body and "511823101202" in body, body)
        shot(drv, "06-overview-county")
        drv.get(URL + "/worklist")
        shot(drv, "06-worklist-county")
        shot(drv, "06-worklist-phone", 400)
        drv.set_window_size(400, 800)
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(drv, 10).until(lambda d: d.execute_script("return window.innerWidth") <= 400)
        wide = drv.execute_script("return document.body.scrollWidth")
        drv.set_window_size(1366, 768)
        check("on a phone the page itself does not scroll sideways (tables scroll in their box)", wide <= 400, str(wide))
        check("a county account's worklist holds both villages' warnings",
              drv.find_element(By.TAG_NAME, "main").text.count("5118231012") >= 3)
        drv.get(URL + "/household?id=" + HOUSEHOLD)
        ok = act(drv, "county", "县级审批")
        check("the county approves: monitored", ok and done_text(drv), error_text(drv))

        def measure(f):
            Select(f.find_element(By.NAME, "measure")).select_by_value("medical_assistance")
            f.find_element(By.NAME, "responsible").send_keys("王五")
            drv.execute_script("arguments[0].value = '2027-01-31'", f.find_element(By.NAME, "due_on"))
        ok = act(drv, "intervene", "申请医疗救助", measure)
        check("a measure is added with who and when", ok and done_text(drv), error_text(drv))
        table = drv.find_elements(By.CSS_SELECTOR, "table")[-1].text
        check("the measure is listed, by name, with its due date", "医疗救助" in table and "2027-01-31" in table, table)
        shot(drv, "07-household-monitored")
        click(drv, drv.find_element(By.LINK_TEXT, "待处理"))
        rows = drv.find_elements(By.XPATH, "//h2[1]/following-sibling::div[1]//tbody/tr")
        check("the conflict is in the queue", len(rows) == 1, str(len(rows)))
        shot(drv, "08-queues")
        if rows:
            rows[0].find_element(By.NAME, "note").send_keys("户主确认")
            click(drv, rows[0].find_element(By.CSS_SELECTOR, "button[value=theirs]"))
        check("the conflict is resolved from the queue", done_text(drv) != "", error_text(drv))
        # The duplicate: the person's record in the other household belongs to 李建国's.
        rows = drv.find_elements(By.XPATH, "//h2[3]/following-sibling::div[1]//tbody/tr")
        check("the duplicate case is in the queue", len(rows) == 1, str(len(rows)))
        if rows:
            first = rows[0].find_elements(By.TAG_NAME, "a")[0].get_attribute("href")
            rows[0].find_element(By.NAME, "note").send_keys("同一人，属李建国户")
            click(drv, rows[0].find_element(By.CSS_SELECTOR, "button[value=%s]" %
                                            ("move-b" if first.endswith(HOUSEHOLD) else "move-a")))
            check("the duplicate is resolved from the queue", done_text(drv) != "", error_text(drv))
        logout(drv)
        login(drv, "root")
        click(drv, drv.find_element(By.LINK_TEXT, "审计日志"))
        text = drv.find_element(By.TAG_NAME, "main").text
        check("the audit log shows the console's logins and the steps' accounts",
              "login" in text and "zhao" in text)
        shot(drv, "09-audit")
        report(drv)
    finally:
        drv.quit()


def wait_file(path, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and not os.path.exists(path + ".crdownload"):
            return True
        time.sleep(0.2)
    return False


def check_xlsx(path, personal):
    """The workbook as Excel would open it (openpyxl reads what Excel reads)."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    check("the workbook has a sheet per table, named in Chinese", wb.sheetnames == ["按村汇总", "农户"], repr(wb.sheetnames))
    v, h = wb["按村汇总"], wb["农户"]
    heads = [c.value for c in h[2]]
    check("Chinese headers", heads[:2] == ["户编号", "村"] and "等级" in heads and "预警原因" in heads, repr(heads))
    check("names and ID numbers only for an account allowed to see them",
          ("户主" in heads and "身份证号" in heads) == personal, repr(heads))
    rows = [[c.value for c in r] for r in h.iter_rows(min_row=3)]
    registry = [r[0] for r in rows]
    check("registry numbers are text cells, all 16 digits kept",
          "5118231012010501" in registry and all(isinstance(x, str) for x in registry), repr(registry))
    if personal:
        ids = [r[3] for r in rows]
        check("ID numbers are text cells", "11010519491231002X" in ids and
              all(isinstance(x, str) or x is None for x in ids), repr(ids))
    counts = [[c.value for c in r] for r in v.iter_rows(min_row=3)]
    check("figures are numbers", all(isinstance(x, (int, float)) for r in counts for x in r[1:]), repr(counts))
    check("the total row adds the villages up",
          counts[-1][1] == sum(r[1] for r in counts[:-1]) and counts[-1][0] == "合计", repr(counts))


def check_csv(path, personal):
    raw = open(path, "rb").read()
    check("the CSV starts with a BOM (Excel reads it as UTF-8)", raw.startswith(b"\xef\xbb\xbf"))
    text = raw.decode("utf-8-sig")
    check("long numbers stay text in the CSV", '="5118231012010501"' in text)
    if personal:
        check("a name that is a formula is defused", '"\'=1+2"' in text and '"=1+2"' not in text)


def report(drv):
    from selenium.webdriver.common.by import By
    click(drv, drv.find_element(By.LINK_TEXT, "月报"))
    main = drv.find_element(By.TAG_NAME, "main").text
    check("the monthly report page: by village and the households, names for an administrator",
          "按村汇总" in main and "5118231012010501" in main and "李建国" in main, main[:300])
    check("…with its chart", len(drv.find_elements(By.CSS_SELECTOR, "svg.chart")) == 1)
    shot(drv, "10-report")
    month = drv.find_element(By.NAME, "month").get_attribute("value")
    for name in os.listdir(SHOTS):      # a download of an earlier run would hide this one's
        if name.startswith("hearth-report-"):
            os.remove(os.path.join(SHOTS, name))
    drv.find_element(By.PARTIAL_LINK_TEXT, "XLSX").click()
    xlsx = os.path.join(SHOTS, "hearth-report-%s.xlsx" % month)
    check("the XLSX downloads", wait_file(xlsx), xlsx)
    if os.path.exists(xlsx):
        check_xlsx(xlsx, True)
    drv.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
    csv = os.path.join(SHOTS, "hearth-report-%s.csv" % month)
    check("the CSV downloads", wait_file(csv), csv)
    if os.path.exists(csv):
        check_csv(csv, True)


# ---- plain HTTP ------------------------------------------------------------------------

def request(method, path, body=None, cookie=None, auth=None):
    u = urllib.parse.urlsplit(URL)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    headers = {}
    if body is not None:
        body = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read().decode("utf-8", "replace")
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    conn.close()
    return out


def http_login(name, password):
    status, headers, _ = request("POST", "/login", {"name": name, "password": password})
    cookie = headers.get("set-cookie", "").split(";")[0]
    return status, cookie, headers.get("set-cookie", "")


def csrf_of(page):
    marker = 'name="csrf" value="'
    i = page.find(marker)
    return page[i + len(marker):i + len(marker) + 64] if i >= 0 else ""


def security():
    status, cookie, raw = http_login("li", PASSWORDS["li"])
    check("a login answers 303 with a session cookie", status == 303 and cookie.startswith("hh_session="), raw)
    check("the cookie is Secure, HttpOnly and SameSite=Strict",
          all(flag in raw for flag in ("Secure", "HttpOnly", "SameSite=Strict")), raw)
    status, headers, page = request("GET", "/household?id=" + OTHER, cookie=cookie)
    check("a household outside the account's villages is refused (403)", status == 403, str(status))
    status, headers, page = request("GET", "/", cookie=cookie)
    check("pages carry a Content-Security-Policy and no-store",
          "default-src 'none'" in headers.get("content-security-policy", "") and
          headers.get("cache-control") == "no-store", repr(headers))
    # A form without this session's token.
    status, _, _ = request("POST", "/act", {"household": HOUSEHOLD, "action": "dismiss", "note": "x"}, cookie=cookie)
    check("a POST without the CSRF token is refused (403)", status == 403, str(status))
    status, _, _ = request("POST", "/act", {"household": HOUSEHOLD, "action": "dismiss", "note": "x",
                                         "csrf": "0" * 64}, cookie=cookie)
    check("…and one with another token", status == 403, str(status))
    # Logout, then the same cookie again.
    token = csrf_of(page)
    status, _, _ = request("POST", "/logout", {"csrf": token}, cookie=cookie)
    check("logout", status == 303, str(status))
    status, headers, _ = request("GET", "/", cookie=cookie)
    check("a cookie replayed after logout leads to the login page",
          status == 303 and headers.get("location") == "/login", str(status))
    status, _, _ = request("POST", "/act", {"household": HOUSEHOLD, "action": "dismiss", "note": "x",
                                         "csrf": token}, cookie=cookie)
    check("…and cannot act", status == 401, str(status))
    # /metrics: for an administrator's credential only (no address is configured yet).
    status, headers, _ = request("GET", "/metrics")
    check("/metrics without a credential: 401 asking for one",
          status == 401 and headers.get("www-authenticate", "").startswith("Basic"), str(status))
    status, _, _ = request("GET", "/metrics", auth="wang:" + PASSWORDS["wang"])
    check("…a reviewer's credential is not enough", status == 401, str(status))
    status, headers, text = request("GET", "/metrics", auth="root:" + PASSWORDS["root"])
    check("an administrator reads the metrics", status == 200 and "text/plain" in headers.get("content-type", ""),
          str(status))
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    check("requests by path and status", values.get('hearthd_requests_total{path="/v2/sync",status="200"}', 0) >= 8,
          repr(values))
    check("the sync latency histogram", values.get('hearthd_sync_seconds_bucket{le="+Inf"}', 0) ==
          values.get("hearthd_sync_seconds_count", -1) > 0)
    check("changes applied and devices seen", values.get("hearthd_changes_applied_total", 0) > 0 and
          values.get("hearthd_devices_seen_1d") == 3, repr(values))
    check("the database's size", values.get("hearthd_database_bytes", 0) > 4096)
    check("no personal data, no identifier in the metrics",
          not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}|511823|李", text))
    # Wrong passwords: the account is locked for the window, even for the right one.
    statuses = [http_login("li", "wrong-password-%d" % i)[0] for i in range(5)]
    check("wrong passwords are refused (401)", statuses == [401] * 5, repr(statuses))
    status, cookie, _ = http_login("li", PASSWORDS["li"])
    check("after 5 the account is locked, the right password too (429)", status == 429 and not cookie, str(status))
    status, cookie, _ = http_login("nobody", "whatever-password")
    check("an unknown account is refused like a wrong password", status == 401)
    status, _, page = request("GET", "/login?lang=en")
    check("the login page in English on request", status == 200 and "Log in" in page)
    status, _, page = request("POST", "/login", {"name": "x" * 5000, "password": "y"})
    check("an oversized field is refused, not cut", status == 400, str(status))


def files():
    """Check the report files the command line wrote: SHOTS/report.xlsx
    (without names) and SHOTS/report.csv (with --personal)."""
    check_xlsx(os.path.join(SHOTS, "report.xlsx"), False)
    check_csv(os.path.join(SHOTS, "report.csv"), True)


def main():
    started = time.monotonic()
    try:
        {"village": village, "county": county, "security": security, "files": files}[PHASE]()
    except Exception as e:
        import traceback
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.endswith("console.py")]
        where = frames[-1]
        check(f"{PHASE} runs to its end", False,
              f"{type(e).__name__} at line {where.lineno}: {str(e).splitlines()[0] if str(e) else ''}")
    print(f"# {PHASE}: {count - failed} of {count} checks in {time.monotonic() - started:.1f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
