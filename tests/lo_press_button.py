"""Press a workbook's form button in a running LibreOffice, as a person would (UNO client).

Run by the system Python, which has LibreOffice's UNO bridge (Debian: python3-uno); the
project's virtualenv cannot import ``uno``. Not collected by pytest.

    /usr/bin/python3 tests/lo_press_button.py PIPE WORKBOOK SHEET CAPTION [CELLS.json]

Connects to ``soffice --accept=pipe,name=PIPE;urp;``, opens WORKBOOK the way the suite
opens a document a person double-clicks (macros governed by the profile's security
settings), types CELLS ([[sheet, "A2", "text as typed"], ...]) into it, finds the form
button labelled CAPTION on SHEET and the macro assigned to its click event, and calls
that macro through the document's script provider with an ActionEvent, as a click does.
Prints one JSON line: {"macro": <script URL>, "macros_allowed": bool}.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import uno
import unohelper
from com.sun.star.awt import XCallback
from com.sun.star.beans import PropertyValue

CONNECT_SECONDS = 120
# com.sun.star.document.MacroExecMode.USE_CONFIG: what the profile's security settings say.
USE_CONFIG = 3


def connect(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def button_and_macro(sheet, caption: str):
    """Return the control model of the button labelled ``caption`` and its click macro URL."""
    page = sheet.DrawPage
    for i in range(page.Count):
        shape = page.getByIndex(i)
        if not shape.supportsService("com.sun.star.drawing.ControlShape"):
            continue
        model = shape.Control
        if getattr(model, "Label", None) != caption:
            continue
        form = model.Parent
        index = next(j for j in range(form.Count) if form.getByIndex(j) == model)
        for event in form.getScriptEvents(index):
            if event.ListenerType.endswith("XActionListener") and event.ScriptType == "Script":
                return model, event.ScriptCode
        raise SystemExit(f"button “{caption}” has no macro assigned to its click")
    raise SystemExit(f"no form button labelled “{caption}” on sheet {sheet.Name}")


def main(pipe: str, workbook: str, sheet_name: str, caption: str, cells_json: str = "") -> None:
    ctx = connect(pipe)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(workbook),
        "_blank",
        0,
        # Not Hidden: a hidden document closed from its own macro keeps its lock file.
        (prop("MacroExecutionMode", USE_CONFIG),),
    )
    if cells_json:
        with open(cells_json, encoding="utf-8") as f:
            for sheet, ref, text in json.load(f):
                doc.Sheets.getByName(sheet).getCellRangeByName(ref).setFormula(text)
    model, macro = button_and_macro(doc.Sheets.getByName(sheet_name), caption)
    print(json.dumps({"macro": macro, "macros_allowed": doc.AllowMacroExecution}), flush=True)
    event = uno.createUnoStruct("com.sun.star.awt.ActionEvent")
    event.Source = model
    click = Click(doc.getScriptProvider().getScript(macro), event)
    # A click is handled on LibreOffice's main thread, from its event loop: run it there.
    ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", ctx).addCallback(
        click, None
    )
    if not click.done.wait(CONNECT_SECONDS):
        raise SystemExit("the button's macro did not finish")
    if click.error is not None:
        raise SystemExit(f"the button's macro failed: {click.error}")


class Click(unohelper.Base, XCallback):
    """Call a macro with an ActionEvent when LibreOffice's event loop gets to it."""

    def __init__(self, script, event):
        self.script, self.event = script, event
        self.done = threading.Event()
        self.error: Exception | None = None

    def notify(self, data):
        try:
            self.script.invoke((self.event,), (), ())
        except Exception as e:
            self.error = e
        finally:
            self.done.set()


if __name__ == "__main__":
    main(*sys.argv[1:])
