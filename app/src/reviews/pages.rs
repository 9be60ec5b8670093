//! `/o/{org}/reviews` (reviews with their progress; admins start one) and
//! `/o/{org}/reviews/{id}` (keep or revoke each membership assigned to you).

use leptos::prelude::*;

use super::{
    DecideReviewItem, ReviewSummary, ReviewView, ReviewsOverview, StartReview, load_review,
    load_reviews,
};
use crate::components::{Badge, ErrorPanel, FormError};
use crate::directory::id_param;
use crate::error::AppError;
use crate::home::org_param;
use crate::when;

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let org = org_param();
    let start = ServerAction::<StartReview>::new();
    let data = Resource::new(
        move || (org.get(), start.version().get()),
        |(org, _)| load_reviews(org),
    );
    view! {
        <h1>"Access reviews"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(overview) => view! { <Overview overview org=org.get_untracked() start /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn progress(review: &ReviewSummary) -> String {
    format!("{} of {} reviewed", review.decided, review.total)
}

#[component]
fn Overview(
    overview: ReviewsOverview,
    org: String,
    start: ServerAction<StartReview>,
) -> impl IntoView {
    let list = if overview.reviews.is_empty() {
        view! { <p class="empty">"No access review yet."</p> }.into_any()
    } else {
        view! {
            <table class="data" aria-label="Access reviews">
                <thead><tr>
                    <th scope="col">"Review"</th><th scope="col">"Due"</th>
                    <th scope="col">"Progress"</th><th scope="col">"Yours to do"</th>
                </tr></thead>
                <tbody>
                    {overview.reviews.iter().map(|review| view! {
                        <tr>
                            <td><a href=format!("/o/{org}/reviews/{}", review.id)>{review.name.clone()}</a></td>
                            <td>{when::date(review.due_at)}</td>
                            <td>{progress(review)}</td>
                            <td>{review.mine_open}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <section class="panel">{list}</section>
        {overview.groups.map(|groups| view! {
            <section class="panel">
                <h2>"Start a review"</h2>
                <ActionForm action=start attr:class="stack" attr:aria-label="Start a review">
                    <FormError result=start.value() />
                    <input type="hidden" name="org" value=org.clone() />
                    <label>"Name" <input type="text" name="name" required maxlength="200" /></label>
                    <fieldset class="choices">
                        <legend>"Groups to review"</legend>
                        {groups.into_iter().enumerate().map(|(index, (id, name))| view! {
                            <label class="check"><input type="checkbox" name=format!("group_ids[{index}]") value=id /> {name}</label>
                        }).collect_view()}
                    </fieldset>
                    <label class="check"><input type="checkbox" name="by_manager" value="on" checked /> "Each member's JumpCloud manager reviews them (when they have an account here)"</label>
                    <label>"Reviewers (emails, comma-separated; they take the rest in turn; none: you)" <input type="text" name="reviewers" maxlength="2000" /></label>
                    <label>"Due in (days)" <input type="number" name="due_days" min="1" max="365" value="14" required /></label>
                    <button type="submit" class="primary">"Start the review"</button>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let decide = ServerAction::<DecideReviewItem>::new();
    let data = Resource::new(
        move || (org.get(), id.get(), decide.version().get()),
        |(org, id, _)| async move {
            let id = id
                .parse()
                .map_err(|_| AppError::NotFound("That review".into()))?;
            load_review(org, id).await
        },
    );
    view! {
        <p class="breadcrumbs"><a href=move || format!("/o/{}/reviews", org.get())>"Access reviews"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(review) => view! { <Review review org=org.get_untracked() decide /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Review(
    review: ReviewView,
    org: String,
    decide: ServerAction<DecideReviewItem>,
) -> impl IntoView {
    let summary = review.summary.clone();
    let report = format!("/o/{org}/reviews/{}/report.csv", summary.id);
    view! {
        <h1>{summary.name.clone()}</h1>
        <p class="lead" data-testid="review-progress">
            {progress(&summary)} " · due " {when::date(summary.due_at)} " · "
            <a href=report download>"Report (CSV)"</a>
        </p>
        <FormError result=decide.value() />
        {if review.items.is_empty() {
            view! { <p class="empty">"The groups had no members."</p> }.into_any()
        } else {
            view! {
                <table class="data" aria-label="Memberships to review">
                    <thead><tr>
                        <th scope="col">"Group"</th><th scope="col">"Member"</th><th scope="col">"Reviewer"</th>
                        <th scope="col">"Decision"</th>
                    </tr></thead>
                    <tbody>
                        {review.items.into_iter().map(|item| {
                            let org = org.clone();
                            let decision = match (&item.decision, item.decidable) {
                                (Some(decision), _) => {
                                    let tone = if decision == "revoke" { "danger" } else { "ok" };
                                    let status = item.request_status.clone().map(|status| format!(" (request #{}: {status})", item.request_id.unwrap_or_default()));
                                    view! {
                                        <Badge tone text=decision.clone() />
                                        {(!item.note.is_empty()).then(|| format!(" {}", item.note))}
                                        {status}
                                    }.into_any()
                                }
                                (None, true) => view! {
                                    <ActionForm action=decide attr:class="row" attr:aria-label=format!("Review {} in {}", item.user_email, item.group_name)>
                                        <input type="hidden" name="org" value=org />
                                        <input type="hidden" name="item_id" value=item.id />
                                        <input type="text" name="note" maxlength="1000" placeholder="Note" aria-label="Note" />
                                        <button type="submit" name="decision" value="keep">"Keep"</button>
                                        <button type="submit" name="decision" value="revoke" class="danger">"Revoke"</button>
                                    </ActionForm>
                                }.into_any(),
                                (None, false) => view! { <span class="muted">"waiting"</span> }.into_any(),
                            };
                            view! {
                                <tr>
                                    <td>{item.group_name.clone()}</td>
                                    <td>{item.user_email.clone()}</td>
                                    <td>{item.reviewer.clone()}</td>
                                    <td>{decision}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}
