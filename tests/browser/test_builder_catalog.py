"""The builder offers every catalog item and shows the network's layer table as the person edits."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect


def test_every_item_is_offered(page, live_server):
    catalog = httpx.get(live_server + "/api/catalog", timeout=30).json()
    page.goto(live_server + "/")
    for section, registry in [("dataset", "datasets"), ("model", "networks"), ("loss", "losses"),
                              ("optimizer", "optimizers"), ("schedule", "schedules"), ("init", "initializers"),
                              ("regularization", "regularizers")]:
        offered = page.eval_on_selector_all(f"#section-{section} select.component option", "os => os.map(o => o.value)")
        assert {e["name"] for e in catalog[registry]} <= set(offered), section
    activations = page.eval_on_selector_all("[name='model.params.activation'] option", "os => os.map(o => o.value)")
    assert {e["name"] for e in catalog["activations"]} <= set(activations)


def test_cnn_on_shapes_shows_the_layer_table(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "shapes")
    expect(page.locator("[name='dataset.params.image_size']")).to_be_visible()
    page.select_option("#section-model select.component", "cnn")
    table = page.locator("#plan table.layers")
    expect(table).to_contain_text("Conv2d", timeout=20_000)
    expect(table).to_contain_text("[16, 16, 16]")
    parameters = page.locator("#plan [data-total=parameters]").inner_text()
    assert int(parameters.replace(" ", "")) > 1000
    # the table follows an edit of the layers: fewer classes, a smaller output layer
    before = parameters
    page.fill("[name='dataset.params.n_classes']", "3")
    expect(page.locator("#plan [data-total=parameters]")).not_to_have_text(before, timeout=20_000)
    expect(page.locator(".katex").first).to_be_visible()  # the formulas are typeset


def test_a_network_with_a_suggested_lr_sets_it_unless_the_person_typed_one(page, live_server):
    page.goto(live_server + "/")
    lr = page.locator("[name='optimizer.params.lr']")
    default = lr.input_value()
    page.select_option("#section-dataset select.component", "parity")
    page.select_option("#section-model select.component", "transformer")
    expect(lr).to_have_value("0.001", timeout=20_000)  # the catalog's suggested_lr for the transformer
    expect(page.locator(".lr-suggestion")).to_contain_text("transformer")
    page.select_option("#section-model select.component", "lstm")
    expect(lr).to_have_value(default, timeout=20_000)  # the lr it replaced comes back
    lr.fill("0.05")  # typed by the person: no longer touched
    page.select_option("#section-model select.component", "transformer")
    expect(page.locator("#section-model .hint").first).to_contain_text("Transformer", timeout=20_000)
    assert lr.input_value() == "0.05"


def test_every_formula_typesets(page, live_server):
    catalog = httpx.get(live_server + "/api/catalog", timeout=30).json()
    registries = {k: v for k, v in catalog.items() if k not in ("sections", "statuses")}  # these have no formulas
    formulas = {f"{registry}/{e['name']}": e["formula"] for registry, entries in registries.items() for e in entries}
    page.goto(live_server + "/")
    page.wait_for_function("window.katex !== undefined")
    broken = page.evaluate("""(formulas) => Object.entries(formulas).flatMap(([name, tex]) => {
        try { katex.renderToString(tex, {throwOnError: true}); return []; }
        catch (e) { return [name + ': ' + e.message]; }
    })""", formulas)
    assert broken == []
