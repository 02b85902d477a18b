import * as pulumi from "@pulumi/pulumi";
import { PERMISSION_SET_PREFIX, PERSON_ROLES, permissionSetPolicy, PersonRoles } from "../components/personRoles";
import { StackContext } from "./context";

/**
 * The account's person roles (docs/access.md), when config gives an identity source. With Identity Center, the
 * outputs also carry each permission set's inline policy for this account, for the management (or delegated
 * administrator) account where permission sets live: a per-account stack cannot create them.
 */
export function definePersonRoles(
    ctx: StackContext,
    pipelineNames: readonly string[],
    alarmTopicArn?: pulumi.Input<string>,
    alarmTopicDependsOn?: pulumi.Resource[],
): Record<string, unknown> | undefined {
    const { config, partition } = ctx;
    const people = config.people;
    if (!people) return undefined;
    const roles = new PersonRoles(
        `${config.role}-people`,
        {
            scope: {
                partition,
                region: config.region,
                accountId: config.accountId,
                stack: config.role,
                projectTag: config.defaultTags.Project,
                pipelineNames,
            },
            identitySource:
                people.identitySource === "saml"
                    ? { kind: "saml", providerArn: people.samlProviderArn! }
                    : { kind: "identity-center" },
            breakGlassUserArns: people.breakGlassUserArns,
            alarmTopicArn,
            alarmTopicDependsOn,
        },
        { provider: ctx.provider },
    );
    const permissionSets =
        people.identitySource === "identity-center"
            ? Object.fromEntries(
                  PERSON_ROLES.filter((r) => roles.roleArns[r] !== undefined).map((r) => [
                      `${PERMISSION_SET_PREFIX}${r}`,
                      JSON.stringify(permissionSetPolicy(partition, config.accountId, config.role, r)),
                  ]),
              )
            : undefined;
    return { roles: roles.roleArns, ...(permissionSets ? { identityCenterPermissionSets: permissionSets } : {}) };
}
