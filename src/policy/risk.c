/*
 * risk.c - the action sets behind lint's privilege-escalation (KWP021) and credential-exposure
 * (KWP022) findings, written down in one place with their sources. Every action named here
 * is an action of the catalog (tests/unit/test_policy_catalog.c checks it), so a rename in
 * AWS's reference shows up as a failing test, not as a silently dead rule.
 *
 * Sources:
 *  [RSL]  Rhino Security Labs, "AWS IAM Privilege Escalation - Methods and Mitigation"
 *         (Spencer Gietzen), methods 1-21; the same sets as cloudsplaining's
 *         PRIVILEGE_ESCALATION_METHODS (salesforce/cloudsplaining, shared/constants.py).
 *  [PFC]  pathfinding.cloud (Datadog) privilege-escalation paths, as listed in cloudsplaining.
 *  [PB]   IAM User Guide, "Permissions boundaries for IAM entities": whoever may delete or
 *         replace the boundary of a user or role lifts its ceiling.
 *  [CSX]  cloudsplaining's "Credentials Exposure" risk: actions whose answer holds credentials
 *         (kmcquade's list referenced from cloudsplaining/shared/constants.py), checked against
 *         each API reference's response elements.
 */
#include <stddef.h>

#include "policy/internal.h"

const struct kw_risk_set kw_escalation_sets[] = {
        /* [RSL] IAM permissions on other users */
        {"CreateAccessKey", {"iam:CreateAccessKey"}, "RSL 4", true},
        {"CreateLoginProfile", {"iam:CreateLoginProfile"}, "RSL 5", true},
        {"UpdateLoginProfile", {"iam:UpdateLoginProfile"}, "RSL 6", true},
        {"AddUserToGroup", {"iam:AddUserToGroup"}, "RSL 13", false},
        /* [RSL] permissions on policies */
        {"CreateNewPolicyVersion", {"iam:CreatePolicyVersion"}, "RSL 1", false},
        {"SetExistingDefaultPolicyVersion", {"iam:SetDefaultPolicyVersion"}, "RSL 2", false},
        {"AttachUserPolicy", {"iam:AttachUserPolicy"}, "RSL 7", false},
        {"AttachGroupPolicy", {"iam:AttachGroupPolicy"}, "RSL 8", false},
        {"AttachRolePolicy", {"iam:AttachRolePolicy"}, "RSL 9", false},
        {"PutUserPolicy", {"iam:PutUserPolicy"}, "RSL 10", false},
        {"PutGroupPolicy", {"iam:PutGroupPolicy"}, "RSL 11", false},
        {"PutRolePolicy", {"iam:PutRolePolicy"}, "RSL 12", false},
        /* [RSL] updating a role's trust policy */
        {"UpdateRolePolicyToAssumeIt", {"iam:UpdateAssumeRolePolicy", "sts:AssumeRole"}, "RSL 14", false},
        /* [RSL] passing a role to a new compute resource */
        {"CreateEC2WithExistingIP", {"iam:PassRole", "ec2:RunInstances"}, "RSL 3", false},
        {"PassExistingRoleToNewLambdaThenInvoke",
         {"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"},
         "RSL 15",
         false},
        {"PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
         {"iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"},
         "RSL 16",
         false},
        {"PassExistingRoleToNewGlueDevEndpoint", {"iam:PassRole", "glue:CreateDevEndpoint"}, "RSL 17", false},
        {"PassExistingRoleToCloudFormation", {"iam:PassRole", "cloudformation:CreateStack"}, "RSL 19", false},
        {"PassExistingRoleToNewDataPipeline",
         {"iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"},
         "RSL 20",
         false},
        {"PassExistingRoleToNewCodeBuildProjectThenBuild",
         {"iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"},
         "PFC codebuild-001",
         false},
        {"PassExistingRoleToNewECSTaskViaRunTask",
         {"iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"},
         "PFC ecs",
         false},
        {"PassExistingRoleToNewSageMakerNotebookInstance",
         {"iam:PassRole", "sagemaker:CreateNotebookInstance"},
         "PFC sagemaker",
         false},
        {"PassExistingRoleToNewGlueJobThenRun",
         {"iam:PassRole", "glue:CreateJob", "glue:StartJobRun"},
         "PFC glue",
         false},
        /* [RSL] privilege escalation through existing resources */
        {"UpdateExistingGlueDevEndpoint", {"glue:UpdateDevEndpoint"}, "RSL 18", false},
        {"EditExistingLambdaFunctionWithRole", {"lambda:UpdateFunctionCode"}, "RSL 21", false},
        /* [PB] removing or replacing a permissions boundary */
        {"DeleteUserPermissionsBoundary", {"iam:DeleteUserPermissionsBoundary"}, "PB", false},
        {"DeleteRolePermissionsBoundary", {"iam:DeleteRolePermissionsBoundary"}, "PB", false},
        {"PutUserPermissionsBoundary", {"iam:PutUserPermissionsBoundary"}, "PB", false},
        {"PutRolePermissionsBoundary", {"iam:PutRolePermissionsBoundary"}, "PB", false},
};
const size_t kw_escalation_nsets = sizeof(kw_escalation_sets) / sizeof(kw_escalation_sets[0]);

/*
 * [CSX] Actions whose answer carries credentials (keys, passwords, tokens); the SSO portal's
 * GetRoleCredentials is authorized by the SSO token, not by IAM, and is not one. iam:CreateAccessKey
 * and the login-profile actions are escalation sets above and reported there.
 */
const char *const kw_credential_exposure[] = {
        "iam:CreateServiceSpecificCredential",
        "iam:ResetServiceSpecificCredential",
        "iam:UpdateAccessKey",
        "ecr:GetAuthorizationToken",
        "ecr-public:GetAuthorizationToken",
        "codeartifact:GetAuthorizationToken",
        "redshift:GetClusterCredentials",
        "redshift:GetClusterCredentialsWithIAM",
        "redshift-serverless:GetCredentials",
        "sts:GetFederationToken",
        "sts:GetSessionToken",
        "cognito-identity:GetCredentialsForIdentity",
        "cognito-identity:GetOpenIdToken",
        "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
        "ec2:GetPasswordData",
        "lightsail:GetInstanceAccessDetails",
        "lightsail:GetRelationalDatabaseMasterUserPassword",
        "gamelift:GetInstanceAccess",
        "gamelift:RequestUploadCredentials",
        "connect:GetFederationToken",
        "mediapackage:RotateIngestEndpointCredentials",
        "codepipeline:PollForJobs",
        "chime:CreateApiKey",
        NULL,
};
