"""A form's hidden fields are drawn by app.web.forms without WTForms' slow path, exactly as
WTForms draws them, whatever their names and values."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField
from wtforms.widgets import HiddenInput

from app.web.forms import Form

NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)


class HiddenForm(Form):
    class Meta(Form.Meta):
        csrf = False

    stamp = HiddenField()
    disabled = HiddenField(render_kw={"disabled": True})


# The app only lends each example a request context; no example changes it.
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(), field_id=NAMES)
def test_a_hidden_field_is_drawn_as_wtforms_draws_it(app, value, field_id):
    with app.test_request_context("/"):
        form = HiddenForm(formdata=MultiDict({"stamp": value}))
        form.stamp.id = field_id
        assert str(form.stamp) == str(HiddenInput()(form.stamp))
        assert str(form.stamp(class_="x")) == str(HiddenInput()(form.stamp, class_="x"))
        assert str(form.disabled) == str(HiddenInput()(form.disabled, disabled=True))
        assert 'value="' in str(form.stamp)


def test_the_csrf_token_is_drawn_with_its_value(app):
    with app.test_request_context("/"):
        form = Form()
        drawn = str(form.csrf_token)
    token = form.csrf_token.current_token
    assert drawn == f'<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">'
