"""Forms for managing who may use the admin area."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, RadioField
from wtforms.validators import DataRequired, Length, ValidationError

from app.admin.users.services import ROLE_DESCRIPTIONS, ROLE_NAMES
from app.models import ROLES
from app.web.forms import EMAIL_FORMAT, Form, choices, in_choices, valid_email

SHORTEST_PASSWORD = 12


def role_field() -> RadioField:
    """Admin or officer, each with what it allows."""
    return RadioField(
        "Role",
        choices=choices(
            [(role, f"{ROLE_NAMES[role]} – {ROLE_DESCRIPTIONS[role]}") for role in ROLES]
        ),
        validators=[DataRequired("Select a role"), in_choices],
        validate_choice=False,
    )


class AddUserForm(Form):
    """Who to invite, and in which role."""

    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            Length(max=254, message=EMAIL_FORMAT),
            valid_email,
        ],
    )
    role = role_field()


class RoleForm(Form):
    """The role to give someone: sent by one button."""

    role = role_field()


class SetPasswordForm(Form):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a password"),
            Length(
                min=SHORTEST_PASSWORD,
                message=f"Enter a password of {SHORTEST_PASSWORD} characters or more",
            ),
        ],
    )
    confirm = PasswordField("Type the password again")

    def validate_confirm(self, field: PasswordField) -> None:
        """Only compare once the password itself is acceptable, so one problem shows at a time."""
        if self.password.errors or not self.password.data:
            return
        if not field.data:
            raise ValidationError("Enter the password again")
        if field.data != self.password.data:
            raise ValidationError("Passwords do not match")
