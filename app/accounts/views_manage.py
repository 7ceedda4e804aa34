"""Staff management for admins: list, create, edit roles, disable, reset passwords."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts import bp, services
from app.accounts.forms import UserCreateForm, UserEditForm, show_error
from app.accounts.models import User
from app.accounts.services import AccountError
from app.core.access import staff_required
from app.extensions import db


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/manage/users")
@staff_required("admin")
def manage_users():
    users = db.session.execute(select(User).order_by(User.active.desc(), User.name)).scalars().all()
    return render_template("accounts/manage_users.html", users=users)


@bp.route("/manage/users/new", methods=["GET", "POST"])
@staff_required("admin")
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.name.data, form.password.data, form.roles.data)
        except AccountError as exc:
            show_error(form, exc, {"email": "email", "password": "password"})
        else:
            flash(_("The staff account for %(email)s has been created.", email=user.email), "success")
            return redirect(url_for("accounts.manage_users"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/manage/users/<int:user_id>", methods=["GET", "POST"])
@staff_required("admin")
def edit_user(user_id: int):
    user = get_user_or_404(user_id)
    form = UserEditForm(obj=user)
    if user.is_external:
        # Name, email and roles follow the directory at every sign-in; only disabling is local.
        for name in ("name", "roles", "new_password"):
            del form[name]
    if not form.is_filled_in():
        if "roles" in form:
            form.roles.data = sorted(user.role_names)
        form.active.data = user.active
    if form.validate_on_submit():
        try:
            if not user.is_external:
                user.name = form.name.data
                services.set_roles(user, form.roles.data)
            if form.active.data != user.active:
                services.set_active(user, form.active.data)
            if not user.is_external and form.new_password.data:
                services.set_password(user, form.new_password.data)
        except AccountError as exc:
            db.session.rollback()  # before the page: it shows the stored account, not the refused change
            show_error(form, exc, {"password": "new_password"})
            return render_template("accounts/user_form.html", form=form, user=user), 422
        flash(_("The staff account has been saved."), "success")
        if user.id == current_user.id and not user.active:
            return redirect(url_for("accounts.login"))
        return redirect(url_for("accounts.manage_users"))
    return render_template("accounts/user_form.html", form=form, user=user)
