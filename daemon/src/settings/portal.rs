//! Settings of the web portals' sign-in links.

use commcenter::wire::MAX_PORTAL_LINK_DAYS;

/// How long sign-in links and the tokens they give stay valid.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Web portals")]
pub struct PortalSettings {
    /// Days a portal sign-in link stays valid unless the request asks for
    /// another (1–30)
    #[arg(
        long = "portal-link-days",
        id = "portal_link_days",
        env = "COMMCENTER_PORTAL_LINK_DAYS",
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PORTAL_LINK_DAYS)),
        default_value = "7"
    )]
    pub link_days: u32,

    /// Days the token a redeemed link gives (label `portal`) stays valid; the
    /// page asks for a new link after that
    #[arg(
        long = "portal-token-days",
        id = "portal_token_days",
        env = "COMMCENTER_PORTAL_TOKEN_DAYS",
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(commcenter::wire::MAX_TOKEN_DAYS)),
        default_value = "30"
    )]
    pub token_days: u32,
}
