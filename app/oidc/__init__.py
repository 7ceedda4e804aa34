"""Staff sign-in through an OpenID Connect provider (Keycloak, Microsoft Entra ID, ADFS ...).

The authorization code flow with PKCE, ``state`` and ``nonce``, ID-token verification and the
provider's metadata are Authlib's (:mod:`app.oidc.client`); the account is the just-in-time
record of :mod:`app.accounts.external`, found by the issuer and ``sub``. See README, "OpenID
Connect".
"""
from app.core.blueprints import FeatureBlueprint

bp = FeatureBlueprint("oidc", __name__, template_folder="templates", parts=("views",))


def init_app(app):
    from app.extensions import csrf
    from app.oidc import client, views

    client.init_app(app)
    # The provider POSTs the logout token server to server: no session, no form token.
    csrf.exempt(views.backchannel_logout)

    if not client.configured(app):
        return

    @app.after_request
    def allow_forms_to_the_provider(response):
        # The login button and every page's logout button are forms whose answer redirects to the
        # provider; CSP's form-action covers those redirects, so it names the provider too.
        # (Runs before core's security headers, which keep a policy that is already set.)
        from app.core.security import CONTENT_SECURITY_POLICY

        origins = " ".join(client.provider_origins())
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origins}")
        return response

    @app.context_processor
    def inject_oidc_button():
        return {"oidc_button_label": client.button_label() if client.configured() else None}
