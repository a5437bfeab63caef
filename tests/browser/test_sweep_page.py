"""A person starts a sweep from the form and reads the results table, the parallel coordinates and Optuna's
optimization history and hyper-parameter importances."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.links import encode_config
from tests.conftest import run_config

PLOTTED = ("(() => { const gd = document.getElementById('parcoords');"
           " return gd.data && gd.data[0].type === 'parcoords' && gd.data[0].dimensions.length === 3"
           " && gd.data[0].dimensions[2].values.length === 3 && !!gd.querySelector('.parcoords'); })()")
# Optuna's charts, drawn with the page's Plotly: a point per finished trial, a bar per swept setting
OPTUNA = ("(() => { const h = document.getElementById('optuna-history'),"
          " i = document.getElementById('optuna-importances');"
          " return h.data && h.data[0].y.length === 3 && !!h.querySelector('.main-svg')"
          " && i.data && [...i.data[0].y].sort().join() === 'optimizer.params.lr,train.batch_size'; })()")


def test_a_sweep_from_the_form_to_the_best_trial(page, live_server):
    base = run_config(train={"steps": 30})
    page.goto(f"{live_server}/sweeps/new?config={encode_config(base)}")
    expect(page.locator("[data-dimension] [name=path]").first).to_have_value("optimizer.params.lr")
    second = page.locator("[data-dimension]").nth(1)
    second.locator("[name=path]").fill("train.batch_size")
    second.locator("[name=kind]").select_option("choice")
    second.locator("[name=values]").fill("16, 64")
    page.fill("[name=trials]", "3")
    page.select_option("[name=sampler]", "qmc")
    page.select_option("[name=pruner]", "none")
    page.click("#sweep-start")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f]{12}$"))

    # the table refreshes itself until every trial is done
    expect(page.locator("#trials tr[data-trial] .badge")).to_have_text(["completed"] * 3, timeout=180_000)
    page.wait_for_function(PLOTTED, timeout=20_000)
    page.wait_for_function(OPTUNA, timeout=20_000)
    expect(page.locator("#sweep-search")).to_contain_text("qmc sampler, none pruner")
    ticks = page.evaluate("document.getElementById('parcoords').data[0].dimensions[0].ticktext")
    assert ticks == ["1e-4", "1e-3", "1e-2", "1e-1"]  # the lr axis is a log axis
    best = page.locator("#trials tr[data-trial]").first.locator("[data-metric=best]").inner_text()
    others = page.locator("#trials tr[data-trial] [data-metric=best]").all_inner_texts()
    assert float(best) == min(map(float, others))
    expect(page.locator("#open-best")).to_have_attribute("href", re.compile(r"^/\?config=[\w-]+$"))
    page.click("#open-best")
    page.wait_for_url(re.compile(r"/\?config="))
    expect(page.locator("[name='train.steps']")).to_have_value("30")


def test_a_bad_range_is_shown_on_the_form(page, live_server):
    page.goto(f"{live_server}/sweeps/new")
    page.locator("[data-dimension] [name=values]").first.fill("1e-1, 1e-4")
    page.click("#sweep-start")
    expect(page.locator("#sweep-errors")).to_contain_text("space.optimizer.params.lr")
